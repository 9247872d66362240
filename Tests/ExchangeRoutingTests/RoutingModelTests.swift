import ExchangeModel
import ExchangeRouting
import Foundation
import PropertyBased
import Testing

/// Routing compared with a plain model that scans every agreement and applies the overlap rule
/// as documented: the indexed router must give exactly the same routes.
@Suite struct RoutingModelTests {
    typealias F = Fixture

    static let patterns = [
        "licence.>", "licence.business.>", "licence.business.*", "licence.*.issued", "licence.business.issued",
        "licence.business.revoked", "licence.food.issued", "licence.*.*",
    ]
    static let matches = [
        nil, #"{"data":{"city":["Hangzhou"]}}"#, #"{"data":{"score":[{"numeric":[">=",50]}]}}"#,
        #"{"type":[{"prefix":"licence."}]}"#, #"{"data":{"city":[{"anything-but":"Ningbo"}]}}"#,
    ]

    struct Case: Sendable {
        var agreements: [Agreement]
        var topic: String
        var data: String
        var instant: Date
    }

    static let cases = Generator<Case, Shrink.None<Case>> { rng in
        let consumers = ["tax", "portal", "court", "nhc", "psb"]
        let count = Int.random(in: 1...8, using: &rng)
        let agreements = (0..<count).map { index -> Agreement in
            let picked = consumers.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))
            let topics = (0..<Int.random(in: 1...2, using: &rng)).map { _ in patterns.randomElement(using: &rng)! }
            let match = matches.randomElement(using: &rng)!.map { try! F.pattern($0) }
            let status: Agreement.Status = [.active, .active, .active, .suspended, .revoked].randomElement(using: &rng)!
            let from = F.start.addingTimeInterval(Double(Int.random(in: -2...2, using: &rng)) * 3600)
            let until: Date? = Bool.random(using: &rng) ? nil : from.addingTimeInterval(Double(Int.random(in: 1...4, using: &rng)) * 3600)
            return F.agreement(
                "a\(Int.random(in: 0...99, using: &rng))-\(index)", consumers: Array(picked), topics: topics,
                match: match, from: from, until: until, status: status)
        }
        let topic = ["licence.business.issued", "licence.business.revoked", "licence.food.issued"].randomElement(using: &rng)!
        let city = ["Hangzhou", "Ningbo"].randomElement(using: &rng)!
        let data = #"{"city":"\#(city)","score":\#(Int.random(in: 0...100, using: &rng))}"#
        let instant = F.start.addingTimeInterval(Double(Int.random(in: -3...5, using: &rng)) * 3600)
        return Case(agreements: agreements, topic: topic, data: data, instant: instant)
    }

    /// The documented rule, applied by brute force.
    static func model(_ testCase: Case) -> [Route] {
        let event = F.event(topic: testCase.topic, data: testCase.data)
        let data = try? JSONValue.parse(testCase.data)
        let topic = Topic(testCase.topic)!
        let eligible = testCase.agreements.filter { agreement in
            agreement.isInForce(at: testCase.instant) && agreement.topics.contains { $0.matches(topic) }
                && (agreement.match?.matches(event, data: data) ?? true)
        }
        func rank(_ agreement: Agreement) -> TopicPattern.Specificity {
            agreement.topics.filter { $0.matches(topic) }.map(\.specificity).max()!
        }
        let ordered = eligible.sorted { lhs, rhs in
            if rank(lhs) != rank(rhs) { return rank(lhs) > rank(rhs) }
            if (lhs.match != nil) != (rhs.match != nil) { return lhs.match != nil }
            return lhs.id < rhs.id
        }
        var seen: Set<DepartmentID> = []
        var routes: [Route] = []
        for agreement in ordered {
            for consumer in agreement.consumers where seen.insert(consumer).inserted {
                routes.append(Route(consumer: consumer, agreementID: agreement.id, agreementVersion: agreement.version))
            }
        }
        return routes
    }

    @Test func indexedRoutingEqualsTheModel() async {
        await propertyCheck(count: 500, input: Self.cases) { testCase throws in
            let set = try AgreementSet(departments: F.departments, topics: F.topics, agreements: testCase.agreements)
            let routes = set.route(F.event(topic: testCase.topic, data: testCase.data), from: F.dept("msa"), at: testCase.instant).routes
            #expect(Set(routes) == Set(Self.model(testCase)))
            #expect(routes.count == Set(routes.map(\.consumer)).count, "a consumer was routed twice")
        }
    }
}
