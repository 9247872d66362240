import ExchangeModel
import ExchangeStore
import Testing

/// The writer takes an entry's filter keys from its event instead of parsing the text it just
/// wrote; recovery and the index rebuild of an older store parse the stored text. Both must give
/// the same keys, in the same order, for every kind of entry.
@Suite struct AuditFilterKeyDerivationTests {
    static let events: [AuditEvent] = [
        AuditEvent(kind: .acknowledged, actor: "tax-bureau", fields: ["subscription": "s", "sequence": 2]),
        AuditEvent(kind: .deadLettered, actor: "exchange", fields: ["subscription": "s", "consumer": "tax", "sequence": 9, "deliveries": 5]),
        AuditEvent(
            kind: .withheld, actor: "exchange",
            fields: ["consumer": "portal", "sequence": 3, "agreement": "msa-portal", "agreement_version": 2, "reason": "access.no_agreement"]),
        AuditEvent(kind: .auditRead, actor: "auditor-1", fields: ["endpoint": "/v1/audit/entries", "query": "start=0"]),
        AuditEvent(kind: .queried, actor: "service-portal", fields: ["collection": "licences", "subject": "L-1", "results": 1, "outcome": "ok"]),
        AuditEvent(kind: .rejected, actor: "tax", fields: ["method": "GET", "path": "/v1/replay", "status": 429, "code": "reads.rate_limited", "count": 40]),
        AuditEvent(kind: .accessDenied, actor: "anonymous", fields: ["source": "192.0.2.1", "count": 3]),
        AuditEvent(kind: .replayed, actor: "court", fields: ["from_sequence": 1, "scope": "court"]),
        AuditEvent(
            kind: .published, actor: "msa",
            fields: [
                "sequence": 7, "subject": "91330100MA2KX0001X", "topic": "licence.business.issued",
                "routes": .list([
                    .object(["consumer": "tax", "agreement": "msa-tax"]), .object(["consumer": "portal", "agreement": "msa-portal"]),
                    .object(["consumer": "tax", "agreement": "msa-tax"]), .string("not a route"), .object(["consumer": .integer(3)]),
                ]),
            ]),
        // Values of other types, a negative sequence, a long subject (hashed in the key), text
        // that needs escaping.
        AuditEvent(
            kind: .acknowledged, actor: "tax",
            fields: ["sequence": -1, "subject": .integer(5), "owner": "审计署", "department": .list(["a"]), "agreement": .bool(true)]),
        AuditEvent(kind: .queried, actor: "p\"o\\r\ttal\u{1}", fields: ["subject": .string(String(repeating: "许可证", count: 100))]),
        AuditEvent(kind: .auditRead, actor: "auditor-1", fields: ["endpoint": .integer(1)]),
        AuditEvent(kind: .consoleSession, actor: "admin-1", fields: ["change": "signed_in", "role": "admin", "method": "token"]),
    ]

    @Test(arguments: events)
    func theEventsKeysAreTheKeysOfItsText(_ event: AuditEvent) throws {
        var text: [UInt8] = []
        event.prepared().write(adding: [CanonicalObject.Member(name: "time", value: "2026-12-07T00:00:00Z")], into: &text)
        let parsed = try JSONValue.parse(text)
        #expect(AuditFilterKey.keys(of: event) == AuditFilterKey.keys(of: parsed), "\(String(decoding: text, as: UTF8.self))")
    }
}
