import ExchangeAudit
import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Logging
import Synchronization
import Testing

/// Signed checkpoints: issued every N entries while running, and on demand at shutdown; each
/// kept in the store and verifiable with the log's key.
@Suite struct CheckpointIssuerTests {
    static func fixture() throws -> (ExchangeStore, String) {
        let directory = NSTemporaryDirectory() + "exchange-checkpoint-tests-" + UUID().uuidString
        return (try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20)), directory)
    }

    static func entries(_ count: Int) -> [AuditEvent] {
        (0..<count).map { AuditEvent(kind: .queried, actor: "portal", fields: ["n": .integer(Int64($0))]) }
    }

    /// Waits up to two seconds for `condition`.
    static func waitUntil(_ condition: () throws -> Bool) async throws {
        for _ in 0..<400 {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Every kept checkpoint verifies with the key and states the store's root at its size.
    static func checkKept(_ store: ExchangeStore, _ signer: NoteSigner) throws -> [UInt64] {
        let kept = try store.checkpoints(from: 0, limit: 1000)
        for stored in kept {
            let checkpoint = try Checkpoint(verifying: stored.note, using: [signer.verifier], origin: signer.name)
            #expect(checkpoint.treeSize == stored.treeSize)
            #expect(checkpoint.rootHash == (try store.auditRoot(treeSize: stored.treeSize)))
        }
        return kept.map(\.treeSize)
    }

    @Test func issuesEveryNEntriesWhileRunning() async throws {
        let (store, directory) = try Self.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        let issuer = try CheckpointIssuer(
            store: store, signer: signer,
            configuration: .init(everyEntries: 10, interval: .seconds(3600), minimumInterval: .zero, pollInterval: .milliseconds(5)))
        let running = Task { await issuer.run() }
        defer { running.cancel() }
        // The empty log gets its first checkpoint at once.
        try await Self.waitUntil { try store.latestCheckpoint() != nil }
        #expect(try store.latestCheckpoint()?.treeSize == 0)
        for round in 1...3 {
            _ = try await store.appendAudit(Self.entries(10))
            try await Self.waitUntil { try store.latestCheckpoint()?.treeSize == UInt64(10 * round) }
            #expect(try store.latestCheckpoint()?.treeSize == UInt64(10 * round))
        }
        // Fewer than N new entries and the interval not passed: nothing new.
        _ = try await store.appendAudit(Self.entries(3))
        try await Task.sleep(for: .milliseconds(100))
        #expect(try store.latestCheckpoint()?.treeSize == 30)
        running.cancel()
        _ = await running.value
        // At shutdown: one more, covering everything.
        let final = try #require(try await issuer.issue())
        #expect(final.treeSize == 33)
        #expect(try await issuer.issue() == nil)
        #expect(try Self.checkKept(store, signer) == [0, 10, 20, 30, 33])
    }

    /// However fast the log grows, checkpoints follow time: at most one per minimum interval.
    @Test func aFastLogGetsAtMostOneCheckpointPerMinimumInterval() async throws {
        let (store, directory) = try Self.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        let issuer = try CheckpointIssuer(
            store: store, signer: signer,
            configuration: .init(everyEntries: 1, interval: .seconds(3600), minimumInterval: .milliseconds(250), pollInterval: .milliseconds(2)))
        let running = Task { await issuer.run() }
        defer { running.cancel() }
        // 60 entries, one every 5 ms or more (bounded by count, not time, so a slow machine
        // only widens the bound below).
        let started = ContinuousClock.now
        for _ in 0..<60 {
            _ = try await store.appendAudit(Self.entries(1))
            try await Task.sleep(for: .milliseconds(5))
        }
        running.cancel()
        _ = await running.value
        let elapsed = ContinuousClock.now - started
        let kept = try Self.checkKept(store, signer)
        // The first checkpoint at once, then one per 250 ms at most (without the minimum, one
        // per entry: about 60).
        let bound = 2 + Int(elapsed / .milliseconds(250))
        #expect(!kept.isEmpty && kept.count <= bound, "\(kept.count) checkpoints for 60 entries in \(elapsed)")
    }

    /// A store that refuses every checkpoint (here: closed under the issuer) is tried again
    /// after waits that double, not at every look: a few attempts and log lines, not one per
    /// poll interval.
    @Test func aFailingCheckpointIsRetriedWithGrowingWaits() async throws {
        let (store, directory) = try Self.fixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        _ = try await store.appendAudit(Self.entries(3))
        let errors = ErrorLines()
        let logger = Logger(label: "test") { _ in errors }
        let issuer = try CheckpointIssuer(
            store: store, signer: signer,
            configuration: .init(everyEntries: 1, minimumInterval: .zero, pollInterval: .milliseconds(10)), logger: logger)
        store.close()
        let running = Task { await issuer.run() }
        // It does try again: wait (at most 10 s) for the second failure.
        for _ in 0..<1000 where errors.count < 2 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(errors.count >= 2)
        // Then 1.2 s of looks every 10 ms: about 120 attempts without the waits, at most 6 with
        // them (after 40, 80, 160, ... ms).
        try await Task.sleep(for: .milliseconds(1200))
        running.cancel()
        await running.value
        #expect(errors.count <= 10)
    }

    @Test func issuesAfterTheIntervalWhenTheLogGrew() async throws {
        let (store, directory) = try Self.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate(.sm2))
        _ = try await store.appendAudit(Self.entries(2))
        let issuer = try CheckpointIssuer(
            store: store, signer: signer,
            configuration: .init(everyEntries: 1000, interval: .milliseconds(50), minimumInterval: .zero, pollInterval: .milliseconds(5)))
        try await issuer.issue()
        let running = Task { await issuer.run() }
        defer { running.cancel() }
        _ = try await store.appendAudit(Self.entries(1))
        try await Self.waitUntil { try store.latestCheckpoint()?.treeSize == 3 }
        #expect(try Self.checkKept(store, signer) == [2, 3])
    }

    @Test func aRestartedIssuerContinuesFromTheKeptCheckpoints() async throws {
        let (store, directory) = try Self.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        _ = try await store.appendAudit(Self.entries(4))
        try await CheckpointIssuer(store: store, signer: signer, configuration: .init()).issue()
        let again = try CheckpointIssuer(store: store, signer: signer, configuration: .init())
        #expect(try await again.issue() == nil)
        #expect(try Self.checkKept(store, signer) == [4])
    }
}

/// Counts the error-level log lines of a logger.
final class ErrorLines: LogHandler, @unchecked Sendable {
    private let lines = Mutex(0)
    var count: Int { lines.withLock { $0 } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt
    ) {
        if level == .error { lines.withLock { $0 += 1 } }
    }
}
