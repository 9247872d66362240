import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

@Suite struct RoutingTests {
    typealias F = Fixture

    @Test func routesToEveryConsumerOfAMatchingAgreement() throws {
        let set = try F.set(F.agreement("a1", consumers: ["tax", "portal"]))
        let result = set.route(F.event(), from: F.dept("msa"), at: F.now)
        #expect(result.isAllowed)
        #expect(Set(result.routes) == [
            Route(consumer: F.dept("tax"), agreementID: "a1", agreementVersion: 1),
            Route(consumer: F.dept("portal"), agreementID: "a1", agreementVersion: 1),
        ])
    }

    @Test func noAgreementNoRoute() throws {
        let set = try F.set(F.agreement("a1", topics: ["licence.business.revoked"]))
        let result = set.route(F.event(topic: "licence.business.issued"), from: F.dept("msa"), at: F.now)
        #expect(result.isAllowed)
        #expect(result.routes.isEmpty)
        #expect(AgreementSet.empty.route(F.event(), from: F.dept("msa"), at: F.now).routes.isEmpty)
    }

    @Test func publishIsDeniedForSpoofedSourceUnknownTopicOrForeignTopic() throws {
        let set = try F.set(F.agreement("a1"))
        let spoofed = set.route(F.event(source: "psb"), from: F.dept("msa"), at: F.now)
        #expect(spoofed.denial?.code == .sourceMismatch)
        #expect(spoofed.routes.isEmpty)
        let unknown = set.route(F.event(topic: "licence.business.nope"), from: F.dept("msa"), at: F.now)
        #expect(unknown.denial?.code == .unknownTopic)
        let foreign = set.route(F.event(topic: "case.outcome.closed", source: "msa"), from: F.dept("msa"), at: F.now)
        #expect(foreign.denial?.code == .notTopicOwner)
        #expect(foreign.routes.isEmpty)
    }

    @Test func validityWindowIncludesStartAndExcludesEnd() throws {
        let from = F.start
        let until = F.start.addingTimeInterval(3600)
        let set = try F.set(F.agreement("a1", from: from, until: until))
        func routed(_ instant: Date) -> Bool { !set.route(F.event(), from: F.dept("msa"), at: instant).routes.isEmpty }
        #expect(!routed(from.addingTimeInterval(-0.001)))
        #expect(routed(from))
        #expect(routed(until.addingTimeInterval(-0.001)))
        #expect(!routed(until))
        #expect(!routed(until.addingTimeInterval(86_400)))
    }

    @Test(arguments: [Agreement.Status.suspended, .revoked])
    func inactiveAgreementsDoNotRoute(_ status: Agreement.Status) throws {
        let set = try F.set(F.agreement("a1", status: status))
        #expect(set.route(F.event(), from: F.dept("msa"), at: F.now).routes.isEmpty)
    }

    @Test func contentPatternsFilterEventsAndDataIsParsedOnlyWhenNeeded() throws {
        let hangzhou = try F.pattern(#"{"data":{"city":["Hangzhou"]}}"#)
        let set = try F.set(F.agreement("a1", match: hangzhou))
        let yes = set.route(F.event(data: #"{"city":"Hangzhou"}"#), from: F.dept("msa"), at: F.now)
        #expect(yes.routes.map(\.agreementID) == ["a1"])
        #expect(yes.data == .object(["city": .string("Hangzhou")]))
        #expect(set.route(F.event(data: #"{"city":"Ningbo"}"#), from: F.dept("msa"), at: F.now).routes.isEmpty)
        let broken = set.route(F.event(data: #"{"city":"#), from: F.dept("msa"), at: F.now)
        #expect(broken.routes.isEmpty)
        #expect(broken.dataError != nil)

        let attributesOnly = try F.set(F.agreement("a2", match: try F.pattern(#"{"type":["licence.issued"]}"#)))
        let result = attributesOnly.route(F.event(data: "not json at all"), from: F.dept("msa"), at: F.now)
        #expect(result.routes.count == 1)
        #expect(result.data == nil && result.dataError == nil)
    }

    // The overlap rule: a consumer reached by several agreements gets the event once, under the
    // agreement with the more specific topic pattern, then the one with a content pattern, then
    // the lowest id.
    @Test func overlappingAgreementsRouteOnceUnderTheMoreSpecificTopicPattern() throws {
        let set = try F.set(
            F.agreement("a-wide", consumers: ["tax", "portal"], topics: ["licence.>"]),
            F.agreement("z-exact", consumers: ["tax"], topics: ["licence.business.issued"]),
            F.agreement("m-star", consumers: ["tax", "court"], topics: ["licence.business.*"]))
        let routes = set.route(F.event(), from: F.dept("msa"), at: F.now).routes
        #expect(routes.count == 3)
        #expect(Dictionary(uniqueKeysWithValues: routes.map { ($0.consumer.rawValue, $0.agreementID) }) == [
            "tax": "z-exact", "court": "m-star", "portal": "a-wide",
        ])
        // On another topic, the exact agreement does not apply; the star pattern wins for tax.
        let other = set.route(F.event(topic: "licence.business.revoked"), from: F.dept("msa"), at: F.now).routes
        #expect(other.first { $0.consumer == F.dept("tax") }?.agreementID == "m-star")
    }

    @Test func overlapTieBreaksOnContentPatternThenLowestID() throws {
        let anyType = try F.pattern(#"{"type":[{"exists":true}]}"#)
        let set = try F.set(
            F.agreement("b", topics: ["licence.business.>"]),
            F.agreement("c", topics: ["licence.business.>"], match: anyType),
            F.agreement("a", topics: ["licence.business.>"]))
        #expect(set.route(F.event(), from: F.dept("msa"), at: F.now).routes.map(\.agreementID) == ["c"])
        let plain = try F.set(F.agreement("b", topics: ["licence.business.>"]), F.agreement("a", topics: ["licence.business.>"]))
        #expect(plain.route(F.event(), from: F.dept("msa"), at: F.now).routes.map(\.agreementID) == ["a"])
        #expect(plain.candidates(for: "licence.business.issued").map(\.id) == ["a", "b"])
    }

    @Test func aMoreSpecificAgreementThatDoesNotMatchLeavesTheConsumerToTheNext() throws {
        let ningbo = try F.pattern(#"{"data":{"city":["Ningbo"]}}"#)
        let set = try F.set(
            F.agreement("exact", topics: ["licence.business.issued"], match: ningbo),
            F.agreement("wide", topics: ["licence.>"]),
            F.agreement("expired", topics: ["licence.business.issued"], until: F.start.addingTimeInterval(1)))
        let routes = set.route(F.event(data: #"{"city":"Hangzhou"}"#), from: F.dept("msa"), at: F.now).routes
        #expect(routes.map(\.agreementID) == ["wide"])
    }
}
