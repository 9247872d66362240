import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

@Suite struct DeliveryTests {
    typealias F = Fixture

    static let data = #"{"licence_no":"L-1","holder":{"name":"Acme","id_no":"X"},"city":"Hangzhou"}"#

    func routeThenRecheck(_ before: Agreement, _ after: Agreement?, at instant: Date = F.now) throws -> DeliveryDecision {
        let event = F.event(data: Self.data)
        let route = try #require(try F.set(before).route(event, from: F.dept("msa"), at: F.now).routes.first)
        let current = try after.map { try F.set($0) } ?? F.set()
        return current.recheck(route, envelope: event, at: instant)
    }

    @Test func deliversOriginalBytesWhenAllFieldsAreShared() throws {
        let agreement = F.agreement("a1")
        let delivery = try #require(try routeThenRecheck(agreement, agreement).delivery)
        #expect(delivery.data == Array(Self.data.utf8))
        #expect(!delivery.isProjected)
        #expect(delivery.route.agreementID == "a1")
    }

    @Test func projectsToTheAgreementsFields() throws {
        let agreement = F.agreement("a1", fields: try F.pointers("/licence_no", "/holder/name"))
        let delivery = try #require(try routeThenRecheck(agreement, agreement).delivery)
        #expect(String(decoding: delivery.data, as: UTF8.self) == #"{"licence_no":"L-1","holder":{"name":"Acme"}}"#)
        #expect(delivery.isProjected)
    }

    @Test func projectsWithTheCurrentVersionsFields() throws {
        let v1 = F.agreement("a1", fields: try F.pointers("/licence_no", "/holder"))
        let v2 = F.agreement("a1", fields: try F.pointers("/licence_no"), version: 2)
        let delivery = try #require(try routeThenRecheck(v1, v2).delivery)
        #expect(String(decoding: delivery.data, as: UTF8.self) == #"{"licence_no":"L-1"}"#)
        #expect(delivery.route.agreementVersion == 2)
    }

    @Test(arguments: [
        (Agreement.Status.revoked, WithholdReason.Code.revoked),
        (.suspended, .suspended),
    ])
    func revokedOrSuspendedAgreementsWithholdQueuedEvents(_ status: Agreement.Status, _ code: WithholdReason.Code) throws {
        let decision = try routeThenRecheck(F.agreement("a1"), F.agreement("a1", status: status))
        #expect(decision.withholdReason?.code == code)
        #expect(decision.delivery == nil)
    }

    @Test func unknownAgreementWithholds() throws {
        let decision = try routeThenRecheck(F.agreement("a1"), nil)
        #expect(decision.withholdReason?.code == .unknownAgreement)
    }

    @Test func expiryAndStartAreCheckedAtDeliveryTime() throws {
        let until = F.now.addingTimeInterval(60)
        let agreement = F.agreement("a1", until: until)
        #expect(try routeThenRecheck(agreement, agreement, at: until.addingTimeInterval(-1)).delivery != nil)
        #expect(try routeThenRecheck(agreement, agreement, at: until).withholdReason?.code == .expired)
        let later = F.agreement("a1", from: F.now.addingTimeInterval(3600), version: 2)
        #expect(try routeThenRecheck(agreement, later).withholdReason?.code == .notYetValid)
    }

    @Test func consumerTopicAndPatternChangesWithhold() throws {
        let original = F.agreement("a1", consumers: ["tax"])
        #expect(try routeThenRecheck(original, F.agreement("a1", consumers: ["portal"], version: 2)).withholdReason?.code == .consumerRemoved)
        #expect(try routeThenRecheck(original, F.agreement("a1", topics: ["licence.food.>"], version: 2)).withholdReason?.code == .topicNotCovered)
        let ningbo = try F.pattern(#"{"data":{"city":["Ningbo"]}}"#)
        #expect(try routeThenRecheck(original, F.agreement("a1", match: ningbo, version: 2)).withholdReason?.code == .noLongerMatches)
    }

    @Test func projectionOfDataThatIsNotJSONWithholds() throws {
        let agreement = F.agreement("a1", fields: try F.pointers("/licence_no"))
        let event = F.event(data: "<xml/>")
        let set = try F.set(agreement)
        let route = try #require(set.route(event, from: F.dept("msa"), at: F.now).routes.first)
        #expect(set.recheck(route, envelope: event, at: F.now).withholdReason?.code == .dataNotJSON)
    }

    @Test func batchRecheckDecidesPerRoute() throws {
        let set = try F.set(
            F.agreement("a1", consumers: ["tax"], topics: ["licence.business.issued"], fields: try F.pointers("/city")),
            F.agreement("a2", consumers: ["portal"], status: .revoked))
        let event = F.event(data: Self.data)
        let routes = [
            Route(consumer: F.dept("tax"), agreementID: "a1", agreementVersion: 1),
            Route(consumer: F.dept("portal"), agreementID: "a2", agreementVersion: 1),
        ]
        let decisions = set.recheck(routes, envelope: event, at: F.now)
        #expect(decisions.count == 2)
        #expect(decisions[0].delivery.map { String(decoding: $0.data, as: UTF8.self) } == #"{"city":"Hangzhou"}"#)
        #expect(decisions[1].withholdReason?.code == .revoked)
    }
}
