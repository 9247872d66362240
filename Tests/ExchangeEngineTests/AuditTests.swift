import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// Audit entries the engine writes of its own: through one API, committed before it returns.
@Suite struct AuditTests {
    static func entries(_ fixture: EngineFixture) throws -> [[String: Any]] {
        try fixture.store.auditEntries(from: 0, limit: .max).map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    @Test func anAuditorReadIsOneAuditReadEntry() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let before = fixture.exchange.auditCount
        try await fixture.exchange.auditRead(actor: "auditor-1", endpoint: "/v1/audit/entries", query: "start=0")
        #expect(fixture.exchange.auditCount == before + 1)
        let entry = try #require(try Self.entries(fixture).last)
        #expect(entry["kind"] as? String == "audit_read")
        #expect(entry["actor"] as? String == "auditor-1")
        #expect(entry["endpoint"] as? String == "/v1/audit/entries")
        #expect(entry["query"] as? String == "start=0")
    }

    @Test func aReadOfAClosedStoreFailsWithTheStoresError() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        fixture.close()
        do {
            try await fixture.exchange.auditRead(actor: "auditor-1", endpoint: "/v1/audit/key", query: "")
            Issue.record("a read was answered though its audit entry could not be written")
        } catch {
            #expect(error.code == .store)
            #expect(error.storeError?.code == .closed)
        }
    }

    @Test func entriesAreReadThroughTheEngineAsStored() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.audit([AuditEvent(kind: .auditRead, actor: "a", fields: [:]), AuditEvent(kind: .auditRead, actor: "b", fields: [:])])
        let records = try fixture.exchange.auditEntries(from: 0, limit: 10)
        #expect(records.map(\.entry) == (try fixture.store.auditEntries(from: 0, limit: 10)))
        #expect(records.map(\.index) == [0, 1])
    }

    @Test func aFilterReadsAParsedEntry() throws {
        var filter = AuditEntryFilter()
        #expect(filter.isEmpty && filter.matches(Array("not json".utf8)))
        filter.kind = "published"
        filter.department = "tax"
        let entry = try JSONValue.parse(Array(#"{"kind":"published","actor":"msa","routes":[{"consumer":"tax","agreement":"a1"}]}"#.utf8))
        #expect(filter.matches(entry))
        filter.agreement = "a2"
        #expect(!filter.matches(entry))
        #expect(!filter.matches(Array("not json".utf8)))
    }
}
