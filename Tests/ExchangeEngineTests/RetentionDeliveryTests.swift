import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

/// Delivery after retention: a pull names the removed events its subscription's position passed,
/// each once, only in topics its filter matches and its owner may receive; a pending event
/// removed before its acknowledgement keeps its receipt when acknowledged, and its redelivery
/// reports the gap instead of the event.
@Suite struct RetentionDeliveryTests {
    struct Fixture {
        let directory = NSTemporaryDirectory() + "exchange-retention-delivery-" + UUID().uuidString
        let store: ExchangeStore
        let registry: AgreementRegistry
        let exchange: Exchange

        init() throws {
            store = try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20))
            registry = AgreementRegistry(initial: try Self.set(taxStatus: .active))
            exchange = Exchange(store: store, agreements: registry)
        }

        /// `licence.business.issued` keeps its newest two events; `licence.business.revoked`
        /// keeps everything.
        static func set(taxStatus: Agreement.Status) throws -> AgreementSet {
            try AgreementSet(
                departments: ["msa", "tax", "portal"].map(EngineFixture.department),
                topics: [
                    TopicDefinition(name: Topic("licence.business.issued")!, owner: EngineFixture.msa, retention: RetentionPolicy(maxEvents: 2)),
                    TopicDefinition(name: Topic("licence.business.revoked")!, owner: EngineFixture.msa),
                ],
                agreements: EngineFixture.defaultAgreements(taxStatus: taxStatus))
        }

        func publish(_ topic: String, _ ids: [String]) async throws {
            for id in ids {
                _ = try await exchange.publish([EngineFixture.licence(id, number: id, topic: topic)], from: EngineFixture.msa)
            }
        }

        func subscribe(_ name: String, filter: String = "licence.>", owner: DepartmentID = EngineFixture.tax) async throws {
            _ = try await exchange.putSubscription(name, SubscriptionSpec(filter: filter, start: .all, ackWaitMilliseconds: 600_000), owner: owner)
        }

        /// Steps until the store moved its memory to disk and removed what expired.
        func expire() async throws {
            for _ in 0..<6 { _ = try await exchange.expire(budget: 100, flushing: true) }
        }

        func pull(_ name: String, max: Int = 100, owner: DepartmentID = EngineFixture.tax) async throws -> (gaps: [ExpiredGap], sequences: [UInt64]) {
            let pulled = try await exchange.pullReportingGaps(name, owner: owner, max: max)
            return (pulled.expired, pulled.events.map(\.sequence))
        }

        func remove() {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let issued = "licence.business.issued"

    @Test func aPullReportsEachRemovalItsPositionPassesOnce() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try await fixture.subscribe("one-at-a-time")
        try await fixture.subscribe("revoked-only", filter: "licence.business.revoked")
        // Issued 1-3, revoked 4, issued 5-7: retention removes issued 1, 2, 3 and 5.
        try await fixture.publish(Self.issued, ["a1", "a2", "a3"])
        try await fixture.publish("licence.business.revoked", ["r4"])
        try await fixture.publish(Self.issued, ["a5", "a6", "a7"])
        try await fixture.expire()
        #expect(try (UInt64(1)...7).filter { try fixture.store.event($0) != nil } == [4, 6, 7])

        // One event a pull: each pull names the removals its position passed, each once.
        let first = try await fixture.pull("one-at-a-time", max: 1)
        #expect(first.sequences == [4] && first.gaps == [ExpiredGap(topic: Self.issued, first: 1, last: 4)])
        let second = try await fixture.pull("one-at-a-time", max: 1)
        #expect(second.sequences == [6] && second.gaps == [ExpiredGap(topic: Self.issued, first: 5, last: 5)])
        let third = try await fixture.pull("one-at-a-time", max: 1)
        #expect(third.sequences == [7] && third.gaps.isEmpty)
        let fourth = try await fixture.pull("one-at-a-time")
        #expect(fourth.sequences.isEmpty && fourth.gaps.isEmpty)

        // A filter that does not match the removed topic hears nothing of it.
        let revoked = try await fixture.pull("revoked-only")
        #expect(revoked.sequences == [4] && revoked.gaps.isEmpty)

        // At the inbox's end the position moves past the removals it reported: nothing twice.
        try await fixture.subscribe("portal-all", filter: Self.issued, owner: EngineFixture.portal)
        let portal = try await fixture.pull("portal-all", owner: EngineFixture.portal)
        #expect(portal.sequences == [6, 7] && portal.gaps == [ExpiredGap(topic: Self.issued, first: 1, last: 5)])
        #expect(try await fixture.pull("portal-all", owner: EngineFixture.portal).gaps.isEmpty)
    }

    @Test func aDepartmentHearsOnlyOfTopicsItMayReceive() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try await fixture.subscribe("suspended")
        try await fixture.publish(Self.issued, ["a1", "a2", "a3", "a4"])
        try await fixture.expire()
        #expect(try fixture.store.event(1) == nil && fixture.store.event(2) == nil)
        // The agreement that let tax receive the topic is suspended: no word of its removals.
        _ = fixture.registry.replace(with: try Fixture.set(taxStatus: .suspended))
        let pulled = try await fixture.pull("suspended")
        #expect(pulled.sequences.isEmpty && pulled.gaps.isEmpty)
    }

    @Test func aPendingEventRemovedBeforeItsAcknowledgementKeepsItsReceiptOrIsReportedOnRedelivery() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try await fixture.subscribe("pending")
        try await fixture.publish(Self.issued, ["a1", "a2", "a3"])
        #expect(try await fixture.pull("pending").sequences == [1, 2, 3])
        try await fixture.publish(Self.issued, ["a4", "a5", "a6", "a7"])
        try await fixture.expire()
        #expect(try (UInt64(1)...7).filter { try fixture.store.event($0) != nil } == [6, 7])

        // Acknowledged after its removal: the receipt is written.
        #expect(try await fixture.exchange.ack([1], subscription: "pending", owner: EngineFixture.tax) == [true])
        let receipt = try #require(try fixture.store.auditEntries(from: fixture.store.auditCount - 1, limit: 1).first)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(receipt)) as? [String: Any])
        #expect(entry["kind"] as? String == "acknowledged" && entry["sequence"] as? Int == 1 && entry["subscription"] as? String == "pending")

        // Due again: reported as gaps, not delivered; then no longer pending.
        #expect(try await fixture.exchange.nak([2, 3], subscription: "pending", owner: EngineFixture.tax) == [true, true])
        let redelivery = try await fixture.pull("pending")
        #expect(redelivery.sequences == [6, 7])
        #expect(
            redelivery.gaps == [
                ExpiredGap(topic: nil, first: 2, last: 2), ExpiredGap(topic: nil, first: 3, last: 3), ExpiredGap(topic: Self.issued, first: 4, last: 5),
            ])
        #expect(try await fixture.exchange.ack([2], subscription: "pending", owner: EngineFixture.tax) == [false])
        #expect(try fixture.store.pendingDeliveries(subscription: "pending", limit: 10).map(\.sequence) == [6, 7])
        #expect(try await fixture.pull("pending").gaps.isEmpty)
    }
}
