import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
import Testing

@Suite struct AuditEntryTests {
    /// The store encodes `published` entries from a pre-built template; they must be exactly the
    /// canonical encoding of the same event, escapes included, or verification elsewhere breaks.
    @Test(arguments: [
        ("plain", "licence.business.issued", Optional("L-1"), [taxRoute, portalRoute]),
        ("quote\"and\\slash\nnew", "case.closed", Optional("案件-7\u{1}"), [taxRoute]),
        ("no-subject", "licence.food.issued", nil, []),
    ])
    func publishedEntryIsTheCanonicalEncoding(id: String, topic: String, subject: String?, routes: [StoredRoute]) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let envelope = Envelope(id: id, source: "market-regulation", type: "t\"ype", topic: topic, subject: subject)
        let result = try await store.append(AppendRequest(envelope: envelope, routes: routes))
        let stored = try #require(try store.event(result.sequence))
        var fields: [String: AuditValue] = [
            "data_digest": .string(try HashAlgorithm.sha256.digest(envelope.data).hex),
            "sequence": .integer(Int64(result.sequence)), "topic": .string(topic), "message_id": .string(id),
            "type": .string("t\"ype"),
            "routes": .list(
                routes.map {
                    .object([
                        "consumer": .string($0.consumer), "agreement": .string($0.agreement),
                        "agreement_version": .integer(Int64($0.agreementVersion)),
                    ])
                }),
        ]
        if let subject { fields["subject"] = .string(subject) }
        let expected = AuditEvent(kind: .published, actor: "market-regulation", fields: fields)
            .canonicalBytes(time: stored.receivedAt)
        let entry = try #require(try store.auditEntries(from: 0, limit: 1).first)
        #expect(String(decoding: entry, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(try JSONSerialization.jsonObject(with: Data(entry)) is [String: Any])
    }

    @Test func refusalsAreAppendedDurablyWithTheirOwnIndexes() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.openContract()
        defer { store.close() }
        let indexes = try await store.appendAudit([
            AuditEvent(kind: .accessDenied, actor: "unknown", fields: ["path": "/v1/topics/x/events", "status": 401]),
            AuditEvent(kind: .rejected, actor: "tax-bureau", fields: ["reason": "topic not owned"]),
        ])
        #expect(indexes == [0, 1])
        #expect(store.lastSequence == 0)
        let text = try store.auditEntries(from: 0, limit: 5).map { String(decoding: $0, as: UTF8.self) }
        #expect(text.count == 2)
        #expect(text[0].hasPrefix(#"{"actor":"unknown","kind":"access_denied","path":"/v1/topics/x/events","status":401,"time":""#))
    }
}
