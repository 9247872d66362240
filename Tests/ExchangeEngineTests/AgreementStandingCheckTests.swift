import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// The engine's checks of the agreements' standings: each change written once, lapses found at
/// start, and the warning before a lapse once.
@Suite struct AgreementStandingCheckTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func agreements() -> [Agreement] {
        [
            Agreement(
                id: "ends", provider: EngineFixture.msa, consumers: [EngineFixture.tax], topics: [TopicPattern("licence.>")!],
                validFrom: now.addingTimeInterval(-100), validUntil: now.addingTimeInterval(60)),
            Agreement(
                id: "starts", provider: EngineFixture.msa, consumers: [EngineFixture.portal], topics: [TopicPattern("licence.>")!],
                validFrom: now.addingTimeInterval(30)),
            Agreement(
                id: "gone", provider: EngineFixture.msa, consumers: [EngineFixture.court], topics: [TopicPattern("licence.>")!],
                validFrom: now.addingTimeInterval(-100), validUntil: now.addingTimeInterval(-10)),
        ]
    }

    static func summary(_ events: [AuditEvent]) -> [String] {
        events.map { event in
            let id = if case .string(let text)? = event.fields["agreement"] { text } else { "?" }
            let standing = if case .string(let text)? = event.fields["standing"] { text } else { "-" }
            let previous = if case .string(let text)? = event.fields["previous"] { text } else { "-" }
            return "\(event.kind) \(id) \(previous)->\(standing)"
        }.sorted()
    }

    @Test func changesAreWrittenOnceAsTimePasses() async throws {
        let fixture = try EngineFixture(agreements: Self.agreements())
        defer { fixture.remove() }
        let exchange = fixture.exchange
        // At start: what is not in force, and the warning for what ends within 14 days.
        let start = await exchange.checkAgreementStandings(at: Self.now, checked: .start)
        #expect(Self.summary(start) == [
            "agreement_expiring ends -->-", "agreement_standing gone -->lapsed", "agreement_standing starts -->pending",
        ])
        #expect(await exchange.checkAgreementStandings(at: Self.now.addingTimeInterval(1), checked: .timer).isEmpty)
        #expect(exchange.nextAgreementCheck(after: Self.now) == Self.now.addingTimeInterval(30))
        let later = await exchange.checkAgreementStandings(at: Self.now.addingTimeInterval(61), checked: .timer)
        #expect(Self.summary(later) == ["agreement_standing ends in_force->lapsed", "agreement_standing starts pending->in_force"])
        #expect(await exchange.checkAgreementStandings(at: Self.now.addingTimeInterval(62), checked: .timer).isEmpty)
        let kinds = try fixture.auditKinds()
        #expect(kinds.filter { $0 == "agreement_standing" }.count == 4)
        #expect(kinds.filter { $0 == "agreement_expiring" }.count == 1)
    }
}
