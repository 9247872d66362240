import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

/// The registry through the engine: entitlement and projection by agreement, search, paging,
/// audit of every query.
@Suite("Registry queries")
struct RegistryEngineTests {
    static let msa = DepartmentID("msa")!
    static let tax = DepartmentID("tax")!
    static let portal = DepartmentID("portal")!
    static let court = DepartmentID("court")!

    static let collection = RegistryCollection(
        name: "licences", holder: try! JSONPointer("/holder/credit_code"), type: try! JSONPointer("/licence_type"),
        validFrom: try! JSONPointer("/valid_from"), validUntil: try! JSONPointer("/valid_until"))

    static func set(portalStatus: Agreement.Status = .active) throws -> AgreementSet {
        let topics = ["issued", "amended", "suspended", "revoked"].map {
            TopicDefinition(name: Topic("licence.business.\($0)")!, owner: msa, key: try! JSONPointer("/licence_no"), registry: "licences", collection: collection)
        }
        return try AgreementSet(
            departments: ["msa", "tax", "portal", "court"].map(EngineFixture.department),
            topics: topics + [TopicDefinition(name: Topic("case.outcome.closed")!, owner: msa)],
            agreements: [
                Agreement(id: "msa-tax", provider: msa, consumers: [tax], topics: [TopicPattern("licence.business.>")!], purpose: "tax", legalBasis: "t"),
                Agreement(
                    id: "msa-portal", provider: msa, consumers: [portal], topics: [TopicPattern("licence.business.>")!],
                    fields: ["/licence_no", "/holder/name", "/holder/credit_code", "/valid_until"].map { try! JSONPointer($0) },
                    purpose: "portal", legalBasis: "t", status: portalStatus),
                Agreement(id: "msa-court", provider: msa, consumers: [court], topics: [TopicPattern("case.outcome.closed")!], purpose: "c", legalBasis: "t"),
            ])
    }

    static func licence(_ id: String, _ number: String, _ action: String = "issued", holder: String = "9131", until: String = "2030-12-31") -> Envelope {
        Envelope(
            id: id, source: "msa", type: "licence.\(action)", topic: "licence.business.\(action)", subject: number,
            data: Array(#"{"licence_no":"\#(number)","holder":{"name":"Acme Ltd","credit_code":"\#(holder)","legal_representative":"Li Wei"},"licence_type":"food","valid_until":"\#(until)"}"#.utf8))
    }

    static func fixture(portalStatus: Agreement.Status = .active) throws -> EngineFixture {
        try EngineFixture(agreements: []).replacing(set: try set(portalStatus: portalStatus))
    }

    /// The `queried` audit entries, as JSON objects.
    static func queries(_ fixture: EngineFixture) throws -> [[String: Any]] {
        try fixture.store.auditEntries(from: 0, limit: .max).compactMap { entry in
            let object = try JSONSerialization.jsonObject(with: Data(entry)) as! [String: Any]
            return object["kind"] as? String == "queried" ? object : nil
        }
    }

    @Test func eachViewerSeesThroughItsAgreement() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([Self.licence("a", "L-1")], from: Self.msa)

        let portal = try await exchange.registryLookup(collection: "licences", key: "L-1", viewer: .department(Self.portal), actor: "portal")
        #expect(portal.status == .valid)
        #expect(portal.agreement == "msa-portal" && portal.isProjected)
        let seen = try JSONValue.parse(try #require(portal.data))
        #expect(seen["holder"]?["legal_representative"] == nil)
        #expect(seen["holder"]?["credit_code"] == .string("9131"))
        #expect(seen["licence_type"] == nil)
        #expect(portal.entry.holder == "9131" && portal.entry.type == nil && portal.entry.validUntil == "2030-12-31")

        let tax = try await exchange.registryLookup(collection: "licences", key: "L-1", history: true, viewer: .department(Self.tax), actor: "tax")
        #expect(tax.agreement == "msa-tax" && !tax.isProjected && tax.entry.type == "food")
        #expect(try JSONValue.parse(try #require(tax.data))["holder"]?["legal_representative"] == .string("Li Wei"))
        #expect(tax.includesHistory && tax.history.map(\.action) == [.issued])
        #expect(!portal.includesHistory)

        let auditor = try await exchange.registryLookup(collection: "licences", key: "L-1", viewer: .everything, actor: "audit")
        #expect(auditor.agreement == nil && auditor.entry.type == "food")

        await #expect(throws: ExchangeError(.notEntitled, "no agreement in force gives 'court' a topic feeding 'licences'")) {
            _ = try await exchange.registryLookup(collection: "licences", key: "L-1", viewer: .department(Self.court), actor: "court")
        }
        // The court's refusal is left to its caller's refusal path (bounded per principal).
        let queries = try Self.queries(fixture)
        #expect(queries.map { $0["actor"] as? String } == ["portal", "tax", "audit"])
        #expect(queries.map { $0["outcome"] as? String } == ["ok", "ok", "ok"])
        #expect(queries.map { $0["results"] as? Int } == [1, 1, 1])
        #expect(queries.allSatisfy { $0["collection"] as? String == "licences" && $0["key"] as? String == "L-1" })
    }

    @Test func aSuspendedAgreementHidesTheCollection() async throws {
        let fixture = try Self.fixture(portalStatus: .suspended)
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([Self.licence("a", "L-1")], from: Self.msa)
        do {
            _ = try await fixture.exchange.registryLookup(collection: "licences", key: "L-1", viewer: .department(Self.portal), actor: "portal")
            Issue.record("a suspended agreement gave the portal a look-up")
        } catch {
            #expect(error.code == .notEntitled)
        }
        _ = try await fixture.exchange.registryLookup(collection: "licences", key: "L-1", viewer: .department(Self.tax), actor: "tax")
    }

    @Test func refusalsAreCodedAndAudited() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        // Never issued: the auditor sees the flagged entry; a department does not.
        _ = try await exchange.publish([Self.licence("a", "L-9", "amended")], from: Self.msa)
        let flagged = try await exchange.registryLookup(collection: "licences", key: "L-9", viewer: .everything, actor: "audit")
        #expect(flagged.status == .notIssued && flagged.entry.flags == [.notIssued] && flagged.data == nil)
        var codes: [String] = []
        var audited: [Bool] = []
        for (collection, key) in [("licences", "L-9"), ("licences", "nope"), ("permits", "L-9")] {
            do {
                _ = try await exchange.registryLookup(collection: collection, key: key, viewer: .department(Self.tax), actor: "tax")
            } catch {
                codes.append(error.code.rawValue)
                audited.append(error.isAudited)
            }
        }
        #expect(codes == ["registry.not_found", "registry.not_found", "registry.unknown_collection"])
        do {
            _ = try await exchange.registrySearch(collection: "licences", query: RegistryQuery(cursor: "AQEBAgM"), viewer: .department(Self.tax), actor: "tax")
            Issue.record("a forged cursor was accepted")
        } catch {
            #expect(error.code == .badRegistryCursor)
            audited.append(error.isAudited)
        }
        // Refused queries are left to the caller's refusal path, which bounds them; only
        // answered ones are `queried` entries.
        #expect(audited == [false, false, false, false])
        for parameters in [[("colour", "red")], [("limit", "0")], [("limit", "x")], [("status", "dormant")], [("expires_before", "2026-1-1")], [("holder", "a"), ("holder", "b")]] {
            #expect(throws: ExchangeError.self) { _ = try RegistryQuery(parameters: parameters.map { (name: $0.0, value: $0.1) }) }
        }
        let outcomes = try Self.queries(fixture).map { $0["outcome"] as? String }
        #expect(outcomes == ["ok"])
    }

    /// A repeated `history` is refused like any repeated registry parameter (it answered with
    /// the last value), and `expires_before` must be a day of the calendar.
    @Test func repeatedHistoryAndImpossibleDaysAreRefused() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([Self.licence("a", "L-1")], from: Self.msa)
        for parameters in [[("history", "true"), ("history", "false")], [("history", "true"), ("history", "true")]] {
            do {
                _ = try await exchange.registryLookup(
                    collection: "licences", key: "L-1", parameters: parameters.map { (name: $0.0, value: $0.1) }, viewer: .department(Self.tax), actor: "tax")
                Issue.record("a repeated history parameter was accepted: \(parameters)")
            } catch {
                #expect(error.code == .badRegistryQuery)
            }
        }
        let once = try await exchange.registryLookup(
            collection: "licences", key: "L-1", parameters: [(name: "history", value: "true")], viewer: .department(Self.tax), actor: "tax")
        #expect(once.includesHistory)
        for day in ["2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00", "2100-02-29"] {
            #expect(throws: ExchangeError.self, "\(day)") { _ = try RegistryQuery(parameters: [(name: "expires_before", value: day)]) }
        }
        for day in ["2028-02-29", "2000-02-29", "2026-12-31", "2026-04-30"] {
            #expect(try RegistryQuery(parameters: [(name: "expires_before", value: day)]).expiresBefore == day)
        }
    }

    /// A long history is answered a page at a time: `history_limit` items (100 unless given),
    /// `historyNextCursor` the last one's sequence while more follow, `history_cursor`
    /// continuing after it; the pages add up to the whole history in log order.
    @Test func aLongHistoryIsAnsweredInPages() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        var events = [Self.licence("i", "L-1")]
        events += (1..<250).map { Self.licence("a\($0)", "L-1", $0 % 5 == 0 ? "suspended" : "amended") }
        let outcomes = try await exchange.publish(events, from: Self.msa)
        let first = try await exchange.registryLookup(
            collection: "licences", key: "L-1", parameters: [(name: "history", value: "true")], viewer: .department(Self.tax), actor: "tax")
        #expect(first.entry.historyCount == 250)
        #expect(first.history.count == RegistryHistoryQuery.defaultLimit)
        var sequences: [UInt64] = []
        var cursor: UInt64?
        var pages = 0
        repeat {
            pages += 1
            var parameters: [(name: String, value: String)] = [(name: "history", value: "true"), (name: "history_limit", value: "64")]
            if let cursor { parameters.append((name: "history_cursor", value: String(cursor))) }
            let page = try await exchange.registryLookup(collection: "licences", key: "L-1", parameters: parameters, viewer: .department(Self.tax), actor: "tax")
            #expect(page.history.count <= 64)
            sequences += page.history.map(\.sequence)
            cursor = page.historyNextCursor
            #expect(cursor == nil || cursor == page.history.last?.sequence)
        } while cursor != nil && pages < 10
        #expect(pages == 4)
        #expect(sequences == outcomes.map(\.sequence))
        // Without history=true, no items.
        let bare = try await exchange.registryLookup(collection: "licences", key: "L-1", parameters: [], viewer: .department(Self.tax), actor: "tax")
        #expect(!bare.includesHistory && bare.history.isEmpty && bare.historyNextCursor == nil)
    }

    /// `history_limit` and `history_cursor` are range-checked, need `history=true`, and a bad one
    /// is refused with `registry.bad_query`, left for the caller's refusal path to audit.
    @Test func badHistoryParametersAreRefused() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([Self.licence("a", "L-1")], from: Self.msa)
        let bad: [[(String, String)]] = [
            [("history", "true"), ("history_limit", "0")], [("history", "true"), ("history_limit", "1001")],
            [("history", "true"), ("history_limit", "x")], [("history", "true"), ("history_limit", "-1")],
            [("history", "true"), ("history_limit", "99999999999999999999")], [("history", "true"), ("history_cursor", "0")],
            [("history", "true"), ("history_cursor", "9007199254740992")], [("history", "true"), ("history_cursor", "+5")],
            [("history", "true"), ("history_cursor", "abc")], [("history_limit", "10")], [("history", "false"), ("history_cursor", "5")],
            [("history", "true"), ("history_limit", "5"), ("history_limit", "6")], [("limit", "5")],
        ]
        for parameters in bad {
            do {
                _ = try await exchange.registryLookup(
                    collection: "licences", key: "L-1", parameters: parameters.map { (name: $0.0, value: $0.1) }, viewer: .department(Self.tax), actor: "tax")
                Issue.record("accepted: \(parameters)")
            } catch {
                #expect(error.code == .badRegistryQuery, "\(parameters)")
                #expect(!error.isAudited, "a malformed query is audited by the caller's refusal path: \(parameters)")
            }
        }
        let good = try await exchange.registryLookup(
            collection: "licences", key: "L-1",
            parameters: [(name: "history", value: "true"), (name: "history_limit", value: "1000"), (name: "history_cursor", value: "9007199254740991")],
            viewer: .department(Self.tax), actor: "tax")
        #expect(good.includesHistory && good.history.isEmpty && good.historyNextCursor == nil)
        let outcomes = try Self.queries(fixture).map { $0["outcome"] as? String }
        #expect(outcomes == ["ok"])
    }

    @Test func searchFiltersOnWhatTheViewerMaySee() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish(
            [
                Self.licence("a", "L-1"), Self.licence("b", "L-2"), Self.licence("c", "L-3", holder: "OTHER"),
                Self.licence("d", "L-4", until: "2020-01-01"), Self.licence("e", "L-2", "suspended"),
            ], from: Self.msa)
        func keys(_ query: RegistryQuery, _ viewer: DataViewer) async throws -> [String] {
            try await exchange.registrySearch(collection: "licences", query: query, viewer: viewer, actor: "t").items.map(\.entry.key)
        }
        #expect(try await keys(RegistryQuery(holder: "9131"), .department(Self.portal)) == ["L-1", "L-2", "L-4"])
        #expect(try await keys(RegistryQuery(holder: "9131", status: .valid), .department(Self.portal)) == ["L-1"])
        #expect(try await keys(RegistryQuery(status: .expired), .department(Self.portal)) == ["L-4"])
        #expect(try await keys(RegistryQuery(status: .suspended), .department(Self.tax)) == ["L-2"])
        #expect(try await keys(RegistryQuery(expiresBefore: "2026-01-01"), .department(Self.tax)) == ["L-4"])
        #expect(try await keys(RegistryQuery(issuer: "msa"), .department(Self.tax)).count == 4)
        // The portal's agreement does not share the licence type, so it cannot search by it.
        #expect(try await keys(RegistryQuery(type: "food"), .department(Self.tax)).count == 4)
        #expect(try await keys(RegistryQuery(type: "food"), .department(Self.portal)).isEmpty)
        let page = try await exchange.registrySearch(collection: "licences", query: RegistryQuery(limit: 2), viewer: .everything, actor: "a")
        #expect(page.items.map(\.entry.key) == ["L-1", "L-2"])
        let next = try #require(page.nextCursor)
        // The cursor is sealed: it does not carry the position's key (which may be of an entry
        // the caller cannot see) in readable form.
        let raw = try #require(Data(base64Encoded: EngineFixture.paddedBase64(next)))
        #expect(raw.range(of: Data("L-2".utf8)) == nil && raw.range(of: Data("L-".utf8)) == nil)
        let rest = try await exchange.registrySearch(collection: "licences", query: RegistryQuery(limit: 2, cursor: next), viewer: .everything, actor: "a")
        #expect(rest.items.map(\.entry.key) == ["L-3", "L-4"])
        #expect(rest.nextCursor == nil)
        // The cursor of one walk is refused for another.
        do {
            _ = try await exchange.registrySearch(collection: "licences", query: RegistryQuery(holder: "9131", cursor: next), viewer: .everything, actor: "a")
            Issue.record("a cursor of another query was accepted")
        } catch {
            #expect(error.code == .badRegistryCursor)
            // Malformed, not a query for data: audited by the caller's refusal path, bounded.
            #expect(!error.isAudited)
        }
        let last = try #require(try Self.queries(fixture).last)
        #expect(last["outcome"] as? String == "ok")
        let searches = try Self.queries(fixture).filter { $0["query"] != nil }
        #expect((searches.first?["query"] as? [String: Any])?["holder"] as? String == "9131")
        #expect(searches.first?["results"] as? Int == 3)
    }

    @Test func pagesStayStableWhilePublishing() async throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish((0..<120).map { Self.licence("i\($0)", String(format: "L-%03d", $0 * 2)) }, from: Self.msa)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await exchange.registrySearch(
                collection: "licences", query: RegistryQuery(holder: "9131", limit: 10, cursor: cursor), viewer: .department(Self.portal), actor: "portal")
            seen += page.items.map(\.entry.key)
            cursor = page.nextCursor
            pages += 1
            _ = try await exchange.publish(
                [Self.licence("n\(pages)", String(format: "L-%03d", pages * 5 + 1)), Self.licence("m\(pages)", String(format: "L-%03d", pages * 8 % 240), "amended")],
                from: Self.msa)
        } while cursor != nil && pages < 50
        #expect(pages < 50)
        #expect(Set(seen).count == seen.count)
        #expect(Set((0..<120).map { String(format: "L-%03d", $0 * 2) }).isSubset(of: Set(seen)))
    }
}

extension EngineFixture {
    /// The fixture with `set` in force.
    func replacing(set: AgreementSet) -> EngineFixture {
        _ = registry.replace(with: set)
        return self
    }

    /// base64url without padding → standard base64.
    static func paddedBase64(_ text: String) -> String {
        let base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
    }
}
