import ExchangeModel
import ExchangeStore
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Kills a writer process with SIGKILL at random moments and checks, after each kill, that the
/// reopened store holds every acknowledged event intact and in order, and no partial batch.
@Suite struct CrashTests {
    @Test(.timeLimit(.minutes(5)))
    func killedWriterLosesNothingAcknowledgedAndLeavesNoPartialBatch() async throws {
        let worker = try BuiltExecutable.locate("exchange-bench")
        let directory = StoreDirectory()
        defer { directory.remove() }
        var acknowledged: [UInt64: String] = [:]
        var generator = SystemRandomNumberGenerator()
        let rounds = 6
        for round in 0..<rounds {
            let output = try WorkerRun.start(worker, arguments: [
                "store-crash-worker", "--directory", directory.path, "--round", String(round), "--publishers", "8",
                "--batch", "4", "--dedup-merge-threshold", "97",
            ])
            // Let it acknowledge something, then kill it at a random moment.
            let deadline = Date().addingTimeInterval(60)
            while output.lineCount() < 40 && Date() < deadline && output.isRunning {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...250, using: &generator)))
            output.kill()
            let lines = output.waitForExit()
            #expect(output.terminationSignal == SIGKILL, "round \(round): the worker ended on its own")
            var roundAcks = 0
            for line in lines {
                let parts = line.split(separator: " ")
                guard parts.count == 3, parts[0] == "ack", let sequence = UInt64(parts[1]) else {
                    Issue.record("round \(round): unreadable worker line \(line)")
                    continue
                }
                #expect(acknowledged[sequence] == nil, "sequence \(sequence) acknowledged twice")
                acknowledged[sequence] = String(parts[2])
                roundAcks += 1
            }
            #expect(roundAcks >= 40, "round \(round) acknowledged only \(roundAcks) events before the kill")
            try verify(directory, acknowledged: acknowledged, round: round)
            try await verifyRetriesAreDuplicates(directory, acknowledged: acknowledged, round: round)
        }
    }

    /// Re-appends a sample of acknowledged events: each must be recognised as a duplicate.
    private func verifyRetriesAreDuplicates(_ directory: StoreDirectory, acknowledged: [UInt64: String], round: Int) async throws {
        let store = try directory.open(initialMapSize: 1 << 20, maxMapSize: 1 << 30, dedupMergeThreshold: 97)
        defer { store.close() }
        let last = store.lastSequence
        for (sequence, id) in acknowledged.shuffled().prefix(40) {
            let publisher = try #require(Int(id.split(separator: "-")[1]))
            // The same event again (a repeat with other content would be refused as a conflict).
            let retry = Envelope(
                id: id, source: "dept-\(publisher % 3)", type: "crash.test", topic: "crash.topic\(publisher % 4)",
                data: CrashPayload.payload(for: id))
            let result = try await store.append(AppendRequest(envelope: retry))
            #expect(result.isDuplicate && result.sequence == sequence, "round \(round): retry of \(id) was not a duplicate")
        }
        #expect(store.lastSequence == last)
    }

    private func verify(_ directory: StoreDirectory, acknowledged: [UInt64: String], round: Int) throws {
        let store = try directory.open(initialMapSize: 1 << 20, maxMapSize: 1 << 30)
        defer { store.close() }
        for (sequence, id) in acknowledged {
            let event = try #require(try store.event(sequence), "round \(round): acknowledged event \(sequence) is missing")
            #expect(event.envelope.id == id)
            #expect(event.envelope.data == CrashPayload.payload(for: id), "round \(round): event \(sequence) altered")
        }
        let all = try store.events(from: 1, limit: .max)
        #expect(all.map(\.sequence) == Array(1...store.lastSequence), "round \(round): the log has gaps")
        #expect(Set(all.map(\.envelope.id)).count == all.count, "round \(round): an id was stored twice")
        var batches: [String: (count: Int, size: Int)] = [:]
        for event in all {
            let tag = try #require(event.envelope.extensions["batch"])
            let size = try #require(Int(event.envelope.extensions["batchsize"] ?? ""))
            batches[tag, default: (0, size)].count += 1
        }
        for (tag, batch) in batches {
            #expect(batch.count == batch.size, "round \(round): batch \(tag) holds \(batch.count) of \(batch.size) events")
        }
        #expect(store.auditCount == store.lastSequence, "round \(round): audit entries and events disagree")
        let entries = try store.auditEntries(from: 0, limit: .max)
        #expect(
            try AuditTreeTests.referenceRoots(entries).last == store.auditRoot(treeSize: store.auditCount),
            "round \(round): the stored audit tree does not match its entries")
        #expect(try store.inbox(consumer: "consumer-0", from: 0, limit: .max).count + (try store.inbox(consumer: "consumer-1", from: 0, limit: .max).count) == all.count)
    }
}

/// The payload rule of the crash worker, restated so the test checks bytes independently.
enum CrashPayload {
    static func payload(for id: String) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let length = 100 + Int(hash % 4096)
        let seed = Array(id.utf8)
        return (0..<length).map { seed[$0 % seed.count] &+ UInt8(truncatingIfNeeded: $0 / seed.count) }
    }
}
