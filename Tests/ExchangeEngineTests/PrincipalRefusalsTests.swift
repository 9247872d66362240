import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// Refusals of identified callers are bounded in the audit log (`audit.principal_refusals`): the
/// first `burst` of a principal per interval are written one entry each, at once; the rest are
/// counted and written at the flush as one summary entry per principal with the count, the codes
/// and the endpoints, so nothing goes unrecorded and no caller grows the log at request rate.
@Suite struct PrincipalRefusalsTests {
    static func refusal(_ actor: String, code: String = "http.bad_request", status: Int = 400, path: String = "/v1/subscriptions/s/events")
        -> RequestRefusal
    {
        RequestRefusal(actor: actor, role: "department", source: "192.0.2.7", method: "GET", path: path, status: status, code: code, detail: "max must be 1 to 10000")
    }

    static func exchange(_ fixture: EngineFixture, burst: Int, maxPrincipals: Int = 1000) -> Exchange {
        Exchange(
            store: fixture.store, agreements: fixture.registry,
            configuration: EngineConfiguration(principalRefusals: .init(intervalSeconds: 60, burst: burst, maxPrincipals: maxPrincipals)))
    }

    static func entries(_ exchange: Exchange, from index: UInt64) throws -> [JSONValue] {
        try exchange.auditEntries(from: index, limit: 10_000).map { try JSONValue.parse($0.entry) }
    }

    static func integer(_ value: JSONValue?) -> Int? {
        if case .number(let number)? = value { return Int(number.text) }
        return nil
    }

    static func strings(_ value: JSONValue?) -> [String]? {
        if case .array(let items)? = value { return items.compactMap(\.stringValue) }
        return nil
    }

    @Test func aBurstIsWrittenAtOnceAndTheRestIsOneSummaryWithCountsCodesAndEndpoints() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, burst: 5)
        let before = fixture.store.auditCount
        // 500 refusals of one department: three codes on two endpoints.
        for index in 0..<500 {
            let code = ["http.bad_request", "subscription.not_found", "publish.too_large"][index % 3]
            await exchange.recordRefusal(
                Self.refusal("tax", code: code, status: code == "subscription.not_found" ? 404 : 400, path: index % 2 == 0 ? "/v1/subscriptions/s/events" : "/v1/replay"))
        }
        // The first five, one entry each, as before; nothing more until the flush.
        #expect(fixture.store.auditCount == before + 5)
        #expect(exchange.principalRefusals.pendingCount == 495)
        // Anonymous refusals are flushed on their own; they do not write these.
        #expect(await exchange.flushAnonymousRefusals() == 0)
        #expect(await exchange.flushPrincipalRefusals() == 1)
        let entries = try Self.entries(exchange, from: before)
        #expect(entries.count == 6)
        let summary = try #require(entries.last)
        #expect(summary["kind"]?.stringValue == "rejected")
        #expect(summary["actor"]?.stringValue == "tax")
        #expect(Self.integer(summary["count"]) == 495)
        #expect(Self.integer(summary["audited_separately"]) == 5)
        #expect(Self.integer(summary["interval_seconds"]) == 60)
        #expect(Set(Self.strings(summary["codes"]) ?? []) == ["http.bad_request", "subscription.not_found", "publish.too_large"])
        #expect(Set(Self.strings(summary["endpoints"]) ?? []) == ["GET /v1/subscriptions/s/events", "GET /v1/replay"])
        #expect(summary["codes_unlisted"] == nil && summary["endpoints_unlisted"] == nil)
        #expect(summary["first_time"]?.stringValue != nil && summary["role"]?.stringValue == "department")
        // Nothing went unrecorded: the separate entries and the summary's count make 500.
        #expect(entries.dropLast().allSatisfy { $0["actor"]?.stringValue == "tax" && $0["count"] == nil })
        // A new interval: the principal has its burst again.
        #expect(exchange.principalRefusals.pendingCount == 0)
        await exchange.recordRefusal(Self.refusal("tax"))
        #expect(fixture.store.auditCount == before + 7)
        #expect(await exchange.flushPrincipalRefusals() == 0)
    }

    @Test func theListsAreBoundedAndOnlyDenialsMakeAnAccessDeniedSummary() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, burst: 0)
        let before = fixture.store.auditCount
        let long = String(repeating: "p", count: 60_000)
        for index in 0..<40 {
            // 20 codes twice each; 40 endpoints, each path 60 kB.
            await exchange.recordRefusal(Self.refusal("tax", code: "code.\(index % 20)", path: "/v1/\(index)/" + long))
            await exchange.recordRefusal(Self.refusal("portal", code: "auth.forbidden", status: 403, path: "/v1/agreements"))
        }
        // A burst of 0 counts them all.
        #expect(fixture.store.auditCount == before)
        #expect(await exchange.flushPrincipalRefusals() == 2)
        let entries = try Self.entries(exchange, from: before)
        let tax = try #require(entries.first { $0["actor"]?.stringValue == "tax" })
        #expect(tax["kind"]?.stringValue == "rejected")
        #expect(Self.integer(tax["count"]) == 40)
        #expect(Self.strings(tax["codes"])?.count == AnonymousRefusals.maxListed)
        #expect(Self.integer(tax["codes_unlisted"]) == 40 - 2 * AnonymousRefusals.maxListed)
        let endpoints = Self.strings(tax["endpoints"]) ?? []
        #expect(endpoints.count == AnonymousRefusals.maxListed)
        #expect(endpoints.allSatisfy { $0.utf8.count <= AuditEvent.maxClientTextBytes + 3 })
        #expect(Self.integer(tax["endpoints_unlisted"]) == 40 - AnonymousRefusals.maxListed)
        let portal = try #require(entries.first { $0["actor"]?.stringValue == "portal" })
        #expect(portal["kind"]?.stringValue == "access_denied")
        #expect(Self.integer(portal["count"]) == 40)
        #expect(Self.strings(portal["codes"]) == ["auth.forbidden"])
    }

    @Test func principalsBeyondTheLimitShareOneEntry() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, burst: 2, maxPrincipals: 3)
        let before = fixture.store.auditCount
        for principal in 0..<10 {
            for _ in 0..<4 { await exchange.recordRefusal(Self.refusal("token-\(principal)")) }
        }
        // The three principals tracked had their burst of two; the seven others are counted.
        #expect(fixture.store.auditCount == before + 6)
        #expect(await exchange.flushPrincipalRefusals() == 4)
        let summaries = try Self.entries(exchange, from: before + 6)
        #expect(summaries.map { $0["actor"]?.stringValue } == ["token-0", "token-1", "token-2", "other"])
        #expect(summaries.prefix(3).allSatisfy { Self.integer($0["count"]) == 2 })
        #expect(Self.integer(summaries.last?["count"]) == 28)
        #expect(Self.integer(summaries.last?["actors"]) == 7)
    }

    /// Refusals the engine audits itself (a publish to a topic the department does not own)
    /// share the principal's burst and summary: a department cannot grow the log at request
    /// rate by publishing where it may not.
    @Test func refusedPublishesPastTheBurstAreCountedIntoTheSummary() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture, burst: 3)
        let before = fixture.store.auditCount
        for index in 0..<40 {
            var event = EngineFixture.licence("e\(index)")
            event.source = "tax"
            do {
                _ = try await exchange.publish([event], from: EngineFixture.tax)
                Issue.record("a department published to a topic it does not own")
            } catch {
                #expect(error.code == .notTopicOwner)
                #expect(error.isAudited)
            }
        }
        // The burst, one entry each; the other 37 wait for the flush.
        #expect(fixture.store.auditCount == before + 3)
        #expect(await exchange.flushPrincipalRefusals() == 1)
        let entries = try Self.entries(exchange, from: before)
        #expect(entries.count == 4)
        #expect(entries.prefix(3).allSatisfy { $0["kind"]?.stringValue == "rejected" && $0["reason"]?.stringValue == "access.not_topic_owner" })
        let summary = try #require(entries.last)
        #expect(summary["kind"]?.stringValue == "access_denied")
        #expect(summary["actor"]?.stringValue == "tax")
        #expect(Self.integer(summary["count"]) == 37)
        #expect(summary["method"]?.stringValue == "PUBLISH")
        #expect(Self.strings(summary["codes"]) == ["access.not_topic_owner"])
        #expect(fixture.store.lastSequence == 0)
    }
}
