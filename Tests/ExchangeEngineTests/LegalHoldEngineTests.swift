import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

/// Legal holds through the engine: a hold must name what the configuration in force declares (a
/// topic or a pattern matching one, a department, an agreement of any status), else it is
/// refused with `hold.invalid` and nothing is written; a topic pattern hold keeps every topic it
/// matches past retention, and only those.
@Suite struct LegalHoldEngineTests {
    /// Both licence topics keep their newest event; the suspended agreement `msa-court` is
    /// declared but not in force.
    static func set() throws -> AgreementSet {
        try AgreementSet(
            departments: ["msa", "tax", "portal", "court", "psb"].map(EngineFixture.department),
            topics: [
                TopicDefinition(name: Topic("licence.business.issued")!, owner: EngineFixture.msa, retention: RetentionPolicy(maxEvents: 1)),
                TopicDefinition(name: Topic("licence.business.revoked")!, owner: EngineFixture.msa, retention: RetentionPolicy(maxEvents: 1)),
                TopicDefinition(name: Topic("case.outcome.closed")!, owner: DepartmentID("psb")!),
            ],
            agreements: EngineFixture.defaultAgreements() + [
                Agreement(
                    id: "msa-court", provider: EngineFixture.msa, consumers: [EngineFixture.court], topics: [TopicPattern("licence.>")!],
                    purpose: "court", legalBasis: "test", status: .suspended)
            ])
    }

    static func withExchange(_ body: (Exchange, ExchangeStore) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "exchange-legal-hold-" + UUID().uuidString
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory, initialMapSize: 16 << 20))
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await body(Exchange(store: store, agreements: AgreementRegistry(initial: try set())), store)
    }

    @Test(arguments: [
        (LegalHold.Scope.topic, "case.appeal.>", "topic pattern 'case.appeal.>' matches no topic declared in topics.yaml"),
        (.topic, "case.*", "topic pattern 'case.*' matches no topic declared"),
        (.topic, "LICENCE.BUSINESS.ISSUED", "is not declared in topics.yaml; holds match exact topic names or patterns such as a.b.>"),
        (.topic, "licence.business.isued", "did you mean 'licence.business.issued'?"),
        (.topic, "case.outcome.transferred", "topic 'case.outcome.transferred' is not declared in topics.yaml"),
        (.topic, "case..outcome", "is not a topic name or pattern"),
        (.department, "no-such-dept", "department 'no-such-dept' is not declared in departments.yaml"),
        (.department, "MSA", "department 'MSA' is not declared"),
        (.agreement, "no-such-agreement", "agreement 'no-such-agreement' is not declared"),
    ])
    func aHoldThatNamesNothingDeclaredIsRefused(scope: LegalHold.Scope, value: String, detail: String) async throws {
        try await Self.withExchange { exchange, store in
            let audited = store.auditCount
            do {
                _ = try await exchange.setLegalHold(scope: scope, value: value, reason: "case 2026-17", actor: "admin-1")
                Issue.record("\(scope) \(value) was set")
            } catch let error as ExchangeError {
                #expect(error.code == .holdInvalid && error.kind == .invalid)
                #expect(error.message.contains(detail), "\(error.message)")
            }
            #expect(try store.legalHolds().isEmpty)
            #expect(store.auditCount == audited)
        }
    }

    @Test(arguments: [
        (LegalHold.Scope.topic, "licence.business.issued"), (.topic, "licence.business.>"), (.topic, "*.outcome.*"), (.topic, ">"),
        (.department, "court"), (.agreement, "msa-tax"), (.agreement, "msa-court"), (.subject, "91330100MA2KX0001X"),
        (.subject, "not-declared-anywhere"),
    ])
    func aHoldThatNamesSomethingDeclaredIsSet(scope: LegalHold.Scope, value: String) async throws {
        try await Self.withExchange { exchange, store in
            guard case .set(let hold) = try await exchange.setLegalHold(scope: scope, value: value, reason: "case 2026-17", actor: "admin-1") else {
                Issue.record("\(scope) \(value) was not set")
                return
            }
            #expect(try store.legalHolds() == [hold])
        }
    }

    /// `licence.*.issued` keeps every event of `licence.business.issued` past its `max_events`,
    /// while `licence.business.revoked`, which it does not match, keeps only its newest; lifted,
    /// the next steps trim the held topic too.
    @Test func aPatternHoldKeepsTheEventsOfEveryTopicItMatches() async throws {
        try await Self.withExchange { exchange, store in
            for index in 0..<4 {
                for topic in ["licence.business.issued", "licence.business.revoked"] {
                    _ = try await exchange.publish([EngineFixture.licence("\(topic)-\(index)", number: "L-\(index)", topic: topic)], from: EngineFixture.msa)
                }
            }
            guard case .set(let hold) = try await exchange.setLegalHold(scope: .topic, value: "licence.*.issued", reason: "order 17", actor: "admin-1") else {
                Issue.record("the hold was not set")
                return
            }
            func live(_ topic: String) throws -> Int {
                var count = 0
                _ = try store.scanTopic(topic, from: 0, limit: .max) { _ in
                    count += 1
                    return true
                }
                return count
            }
            for _ in 0..<6 { _ = try await exchange.expire(budget: 100, flushing: true) }
            #expect(try live("licence.business.issued") == 4)
            #expect(try live("licence.business.revoked") == 1)
            _ = try await exchange.liftLegalHold(id: hold.id, actor: "admin-1")
            for _ in 0..<6 { _ = try await exchange.expire(budget: 100, flushing: true) }
            #expect(try live("licence.business.issued") == 1)
        }
    }
}
