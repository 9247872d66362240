import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

/// A delivery round stops taking events once their bytes reach `delivery.max_batch_bytes`
/// (always taking one): a pull asking for thousands of large events gets a bounded answer, and
/// the next pulls hand out the rest, nothing lost, nothing twice, gaps reported once.
@Suite struct DeliveryByteCapTests {
    static let cap = 64 << 10

    /// A licence whose data is about `size` bytes.
    static func large(_ id: String, size: Int, topic: String = "licence.business.issued") -> Envelope {
        let filler = String(repeating: "x", count: Swift.max(0, size - 40))
        return Envelope(
            id: id, source: "msa", type: "licence.issued", topic: topic, subject: id,
            data: Array(#"{"licence_no":"\#(id)","scan":"\#(filler)"}"#.utf8))
    }

    /// Checks one answer against the cap: everything but its last event stays below it.
    static func checkBound(_ events: [DeliveredEvent], sourceLocation: SourceLocation = #_sourceLocation) {
        let allButLast = events.dropLast().reduce(0) { $0 + $1.estimatedSize }
        #expect(allButLast < cap, "an answer kept taking events past the cap", sourceLocation: sourceLocation)
        let data = events.reduce(0) { $0 + $1.envelope.data.count }
        #expect(data <= cap + (events.last?.envelope.data.count ?? 0), sourceLocation: sourceLocation)
    }

    @Test func aLargePullIsSplitAtTheCapAndTheNextPullsHandOutTheRest() async throws {
        let fixture = try EngineFixture(configuration: EngineConfiguration(maxBatchBytes: Self.cap))
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription(
            "tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: 600_000), owner: EngineFixture.tax)
        // 40 events of 10 KiB: 400 KiB, six times the cap.
        _ = try await fixture.exchange.publish((1...40).map { Self.large("e\($0)", size: 10 << 10) }, from: EngineFixture.msa)

        let first = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10_000)
        #expect(!first.isEmpty && first.count < 10, "the first answer holds about the cap's worth (6-7 events), not all 40")
        Self.checkBound(first)
        var delivered = first.map(\.sequence)
        for _ in 0..<40 {
            let events = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 10_000)
            if events.isEmpty { break }
            Self.checkBound(events)
            delivered += events.map(\.sequence)
        }
        #expect(delivered == Array(1...40), "every event once, in order")
        #expect(try fixture.exchange.subscriptionInfo("tax-feed", owner: EngineFixture.tax).pending == 40)
    }

    @Test func anEventLargerThanTheCapStillGoesOutAlone() async throws {
        let fixture = try EngineFixture(configuration: EngineConfiguration(maxBatchBytes: Self.cap))
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("tax-feed", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish(
            [Self.large("big1", size: 200 << 10), Self.large("big2", size: 200 << 10), Self.large("small", size: 100)], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 100).map(\.sequence) == [1])
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 100).map(\.sequence) == [2])
        #expect(try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 100).map(\.sequence) == [3])
    }

    @Test func redeliveriesAreCappedAndEachComesOnce() async throws {
        let fixture = try EngineFixture(configuration: EngineConfiguration(maxBatchBytes: Self.cap))
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription(
            "tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: 600_000), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish((1...20).map { Self.large("e\($0)", size: 10 << 10) }, from: EngineFixture.msa)
        var first: [UInt64] = []
        for _ in 0..<20 {
            let events = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 1000)
            if events.isEmpty { break }
            first += events.map(\.sequence)
        }
        #expect(first == Array(1...20))
        // Declined, every one is due again at once: the redeliveries are split by the cap too.
        #expect(try await fixture.exchange.nak(first, subscription: "tax-feed", owner: EngineFixture.tax).allSatisfy { $0 })
        var again: [DeliveredEvent] = []
        for _ in 0..<20 {
            let events = try await fixture.exchange.pull("tax-feed", owner: EngineFixture.tax, max: 1000)
            if events.isEmpty { break }
            #expect(events.count < 20)
            Self.checkBound(events)
            again += events
            if Set(again.map(\.sequence)).count == 20 { break }
        }
        #expect(again.map(\.sequence).sorted() == Array(1...20), "each redelivered once")
        #expect(again.allSatisfy { $0.deliveryCount == 2 })
    }

    /// Retention removes events between large ones: a capped round's position stops before the
    /// first event it did not take, so each removal is reported once, by the pull that passes it.
    @Test func gapsAreReportedOnceByThePullThatPassesThem() async throws {
        let directory = NSTemporaryDirectory() + "exchange-delivery-cap-" + UUID().uuidString
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20))
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        // `licence.business.issued` keeps its newest two events.
        let registry = AgreementRegistry(initial: try RetentionDeliveryTests.Fixture.set(taxStatus: .active))
        let exchange = Exchange(store: store, agreements: registry, configuration: EngineConfiguration(maxBatchBytes: Self.cap))
        _ = try await exchange.putSubscription(
            "tax-feed", SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: 600_000), owner: EngineFixture.tax)
        let revoked = "licence.business.revoked"
        let issued = "licence.business.issued"
        // 1, 3, 5 are large revocations; 2, 4, 6, 7 small issues, of which 2 and 4 expire.
        let sequence: [(String, Int, String)] = [
            ("r1", 40 << 10, revoked), ("a2", 100, issued), ("r3", 40 << 10, revoked), ("a4", 100, issued),
            ("r5", 40 << 10, revoked), ("a6", 100, issued), ("a7", 100, issued),
        ]
        for (id, size, topic) in sequence {
            _ = try await exchange.publish([Self.large(id, size: size, topic: topic)], from: EngineFixture.msa)
        }
        for _ in 0..<6 { _ = try await exchange.expire(budget: 100, flushing: true) }
        #expect(try (UInt64(1)...7).filter { try store.event($0) != nil } == [1, 3, 5, 6, 7])

        // The cap takes r1 and r3 (80 KiB): the position stops at 4, so the first answer names
        // the removal of 2 only, and the second the removal of 4.
        let first = try await exchange.pullReportingGaps("tax-feed", owner: EngineFixture.tax, max: 1000)
        #expect(first.events.map(\.sequence) == [1, 3])
        #expect(first.expired.count == 1 && first.expired.allSatisfy { $0.first <= 2 && 2 <= $0.last && $0.last < 4 })
        let second = try await exchange.pullReportingGaps("tax-feed", owner: EngineFixture.tax, max: 1000)
        #expect(second.events.map(\.sequence) == [5, 6, 7])
        #expect(second.expired.count == 1 && second.expired.allSatisfy { $0.first == 4 && $0.last < 5 })
        let third = try await exchange.pullReportingGaps("tax-feed", owner: EngineFixture.tax, max: 1000)
        #expect(third.events.isEmpty && third.expired.isEmpty)
    }
}
