import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Synchronization
import Testing

/// Bulk reads share a budget: at most `max_concurrent` stream at once, and a paced replay still
/// streams every record.
@Suite struct BulkReadBudgetTests {
    static func exchange(_ fixture: EngineFixture, _ bulkReads: BulkReadBudget.Configuration) -> Exchange {
        Exchange(store: fixture.store, agreements: fixture.registry, configuration: EngineConfiguration(bulkReads: bulkReads))
    }

    @Test func aBulkReadBeyondTheLimitIsRefusedUntilOneEnds() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 2))
        let first = try exchange.beginBulkRead()
        var second: BulkReadPermit? = try exchange.beginBulkRead()
        #expect(exchange.bulkReads.active == 2)
        let refusal = #expect(throws: ExchangeError.self) { try exchange.beginBulkRead() }
        #expect(refusal?.code == .bulkReadsBusy)
        #expect(refusal?.kind == .unavailable)
        #expect(refusal?.retryAfter == .seconds(5))

        first.release()
        first.release()
        #expect(exchange.bulkReads.active == 1)
        let third = try exchange.beginBulkRead()
        // A permit nobody released is given back when it is freed (a response whose body never ran).
        #expect(second != nil)
        second = nil
        #expect(exchange.bulkReads.active == 1)
        third.release()
        #expect(exchange.bulkReads.active == 0)
    }

    @Test func aPacedReplayStillStreamsEveryRecord() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        // Small chunks, a byte rate that holds every chunk back, and yielding to live work.
        let exchange = Exchange(
            store: fixture.store, agreements: fixture.registry,
            configuration: EngineConfiguration(
                replayChunkSize: 16, bulkReads: BulkReadBudget.Configuration(maxConcurrent: 1, maxBytesPerSecond: 256 << 10, maxYield: .milliseconds(2))))
        let batch = (0..<150).map { EngineFixture.licence("p\($0)", number: "L-\($0)") }
        _ = try await exchange.publish(Array(batch[..<75]), from: EngineFixture.msa)
        _ = try await exchange.publish(Array(batch[75...]), from: EngineFixture.msa)

        let permit = try exchange.beginBulkRead()
        defer { permit.release() }
        var sequences: [UInt64] = []
        // Live work beside the replay: a publish per chunk, which the replay yields to.
        try await exchange.replay(ReplayQuery(), scope: .everything, actor: "auditor") { chunk in
            sequences += chunk.map(\.sequence)
            _ = try await exchange.publish([EngineFixture.licence("live-\(sequences.count)")], from: EngineFixture.msa)
            await permit.pace(bytes: chunk.reduce(0) { $0 + $1.envelope.data.count + 200 })
        }
        // Everything in the log when each chunk was read: the 150, and the live events the
        // replay reached before its end.
        #expect(Array(sequences.prefix(150)) == Array(1...150))
        #expect(sequences == Array(1...UInt64(sequences.count)))
    }

    static let tax = BulkReader(key: "department tax", isAuditor: false)
    static let portal = BulkReader(key: "department portal", isAuditor: false)
    static let auditor = BulkReader(key: "auditor token auditor-1", isAuditor: true)

    @Test func aPrincipalStreamsOneBulkReadAtATime() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 10))
        let first = try exchange.beginBulkRead(for: Self.auditor)
        let refusal = #expect(throws: ExchangeError.self) { try exchange.beginBulkRead(for: Self.auditor) }
        #expect(refusal?.code == .bulkReadsBusy)
        #expect(refusal?.retryAfter == .seconds(5))
        #expect(refusal?.message.contains("one at a time") == true)
        // Another principal is not held up by it.
        let other = try exchange.beginBulkRead(for: Self.tax)
        #expect(exchange.bulkReads.active == 2)
        first.release()
        let again = try exchange.beginBulkRead(for: Self.auditor)
        again.release()
        other.release()
        #expect(exchange.bulkReads.active == 0)
    }

    @Test func oneSlotIsKeptForAuditors() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 2))
        let tax = try exchange.beginBulkRead(for: Self.tax)
        // The other slot is the auditors': a second department is refused, the auditor served.
        let refusal = #expect(throws: ExchangeError.self) { try exchange.beginBulkRead(for: Self.portal) }
        #expect(refusal?.code == .bulkReadsBusy)
        #expect(refusal?.message.contains("kept for auditors") == true)
        let auditor = try exchange.beginBulkRead(for: Self.auditor)
        #expect(exchange.bulkReads.active == 2)
        // Both slots taken: everyone is refused, the auditor's colleague too.
        #expect(throws: ExchangeError.self) { try exchange.beginBulkRead(for: BulkReader(key: "auditor token auditor-2", isAuditor: true)) }
        tax.release()
        let portal = try exchange.beginBulkRead(for: Self.portal)
        portal.release()
        auditor.release()

        // With one slot in all, nothing is kept: a department may stream.
        let single = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 1))
        let only = try single.beginBulkRead(for: Self.tax)
        #expect(throws: ExchangeError.self) { try single.beginBulkRead(for: Self.auditor) }
        only.release()
    }

    @Test func aSlowRatePacesInShortStepsAndEndsWhenTheReadIsGone() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        // 64 KiB/s, the floor: 13 MB would take 200 s. The bounds below leave room for a loaded
        // machine and are still far below what one long sleep would take.
        let exchange = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 2, maxBytesPerSecond: 64 << 10, maxYield: .zero))
        let permit = try exchange.beginBulkRead(for: Self.tax)
        let clock = ContinuousClock()
        let started = clock.now
        let abandoned = Shared(false)
        async let paced: Void = permit.pace(bytes: 13_107_200, abandoned: { abandoned.value })
        try await Task.sleep(for: .milliseconds(300))
        abandoned.value = true
        await paced
        let waited = clock.now - started
        #expect(waited < .seconds(120), "a client gone mid-pace held its slot for \(waited)")

        // Released by someone else (the write deadline): the pacing ends too.
        let second = clock.now
        async let pacedAgain: Void = permit.pace(bytes: 13_107_200)
        try await Task.sleep(for: .milliseconds(300))
        permit.release()
        await pacedAgain
        #expect(clock.now - second < .seconds(120))
        #expect(exchange.bulkReads.active == 0)
    }

    @Test func busyRefusalsAreAuditedOncePerPrincipalAndInterval() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, BulkReadBudget.Configuration(maxConcurrent: 1))
        let before = try fixture.auditKinds().count
        for source in ["192.0.2.7", "192.0.2.8"] {
            for _ in 0..<50 {
                await exchange.recordRefusal(
                    RequestRefusal(
                        actor: "tax", role: "department", source: source, method: "GET", path: "/v1/replay", status: 503,
                        code: "replay.busy", detail: "busy"))
            }
        }
        // Retrying as often as it likes, a principal adds nothing to the log until the flush...
        #expect(try fixture.auditKinds().count == before)
        #expect(await exchange.flushAnonymousRefusals() == 1)
        // ...and then one entry for all its refusals of the interval.
        let entries = try exchange.auditEntries(from: UInt64(before), limit: 10)
        #expect(entries.count == 1)
        let entry = try JSONValue.parse(try #require(entries.first).entry)
        #expect(entry["kind"]?.stringValue == "rejected")
        #expect(entry["actor"]?.stringValue == "tax")
        #expect(entry["code"]?.stringValue == "replay.busy")
        if case .number(let count)? = entry["count"] { #expect(count.text == "100") } else { Issue.record("no count: \(entry)") }
        // A refusal of another kind, naming an identity, is still written at once.
        await exchange.recordRefusal(
            RequestRefusal(
                actor: "tax", role: "department", source: "192.0.2.7", method: "GET", path: "/v1/x", status: 403, code: "auth.forbidden",
                detail: nil))
        #expect(try fixture.auditKinds().count == before + 2)
    }

    /// The holder of an expired token may send it as often as it likes: its refusals are counted
    /// per token name and written as one `access_denied` entry per interval, not one each.
    @Test func expiredTokenRefusalsAreAggregatedPerTokenName() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        let before = try fixture.auditKinds().count
        for _ in 0..<50 {
            await exchange.recordRefusal(
                RequestRefusal(
                    actor: "old-portal", role: nil, source: "192.0.2.9", method: "GET", path: "/v1/registry/licences/L-1", status: 401,
                    code: "auth.token_expired", detail: "the bearer token \"old-portal\" expired"))
        }
        #expect(try fixture.auditKinds().count == before)
        #expect(await exchange.flushAnonymousRefusals() == 1)
        let entries = try exchange.auditEntries(from: UInt64(before), limit: 10)
        #expect(entries.count == 1)
        let entry = try JSONValue.parse(try #require(entries.first).entry)
        #expect(entry["kind"]?.stringValue == "access_denied")
        #expect(entry["actor"]?.stringValue == "old-portal")
        #expect(entry["code"]?.stringValue == "auth.token_expired")
        if case .number(let count)? = entry["count"] { #expect(count.text == "50") } else { Issue.record("no count: \(entry)") }
    }
}

/// A value shared with a closure that tests change.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
