import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
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
}
