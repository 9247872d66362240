import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TestSupport
import Testing

/// `GET /v1/registry/...` over the real routes, engine and store, with bearer tokens.
@Suite("Registry HTTP API")
struct RegistryRoutesTests {
    struct Fixture {
        let app: Application<RouterResponder<ExchangeRequestContext>>
        let store: ExchangeStore
        let exchange: Exchange
        let tokens: [String: String]
        let directory: TemporaryDirectory
    }

    static let msa = DepartmentID("msa")!

    static func fixture() async throws -> Fixture {
        let directory = try TemporaryDirectory()
        var file = TokenFile()
        var tokens: [String: String] = [:]
        tokens["portal"] = try file.create(name: "portal", role: .portal)
        tokens["stranger"] = try file.create(name: "web-portal", role: .portal)
        tokens["auditor"] = try file.create(name: "audit", role: .auditor)
        tokens["admin"] = try file.create(name: "ops", role: .admin)
        try file.save(path: directory.file("tokens.json"))
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        let collection = RegistryCollection(
            name: "licences", holder: try JSONPointer("/holder/credit_code"), type: try JSONPointer("/licence_type"),
            validUntil: try JSONPointer("/valid_until"))
        let department = { (id: String) in Department(id: DepartmentID(id)!, name: id, certificate: CertificateIdentity(subjectCommonName: id)) }
        let set = try AgreementSet(
            departments: [
                department("msa"),
                Department(id: DepartmentID("portal")!, name: "portal", certificate: CertificateIdentity(subjectCommonName: "portal"), roles: [.department, .portal]),
            ],
            topics: ["issued", "revoked"].map {
                TopicDefinition(name: Topic("licence.business.\($0)")!, owner: msa, registry: "licences", collection: collection)
            },
            agreements: [
                Agreement(
                    id: "msa-portal", provider: msa, consumers: [DepartmentID("portal")!], topics: [TopicPattern("licence.business.>")!],
                    fields: [try JSONPointer("/licence_no"), try JSONPointer("/holder/credit_code")], purpose: "p", legalBasis: "l")
            ])
        let exchange = Exchange(store: store, agreements: AgreementRegistry(initial: set))
        for number in 1...3 {
            let data = #"{"licence_no":"L-\#(number)","holder":{"credit_code":"9131","name":"Acme"},"licence_type":"food","valid_until":"2031-01-01"}"#
            _ = try await exchange.publish(
                [Envelope(id: "e\(number)", source: "msa", type: "licence.issued", topic: "licence.business.issued", subject: "L-\(number)", data: Array(data.utf8))],
                from: msa)
        }
        _ = try await exchange.publish(
            [Envelope(id: "r1", source: "msa", type: "licence.revoked", topic: "licence.business.revoked", subject: "L-2", data: Array(#"{"licence_no":"L-2"}"#.utf8))],
            from: msa)
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]), tokens: try TokenStore(path: directory.file("tokens.json")),
            refusalObserver: { refusal in await exchange.recordRefusal(refusal) })
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        ExchangeRoutes(exchange: exchange, logger: Logger(label: "test"))
            .register(on: router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        return Fixture(app: Application(router: router), store: store, exchange: exchange, tokens: tokens, directory: directory)
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func audit(_ fixture: Fixture, kind: String) throws -> [[String: Any]] {
        try fixture.store.auditEntries(from: 0, limit: .max).compactMap { entry in
            let object = try JSONSerialization.jsonObject(with: Data(entry)) as! [String: Any]
            return object["kind"] as? String == kind ? object : nil
        }
    }

    @Test func lookupAndSearchAsThePortal() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        let portal: HTTPFields = [.authorization: "Bearer \(fixture.tokens["portal"]!)"]
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/registry/licences/L-2?history=true", method: .get, headers: portal) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let object = try Self.object(response)
                #expect(object["status"] as? String == "revoked")
                #expect(object["key"] as? String == "L-2")
                #expect(object["holder"] as? String == "9131")
                #expect(object["type"] == nil)  // not among the agreement's fields
                #expect(object["agreement"] as? String == "msa-portal")
                #expect(object["projected"] as? Bool == true)
                #expect((object["data"] as? [String: Any])?["holder"] as? [String: String] == ["credit_code": "9131"])
                #expect((object["history"] as? [[String: Any]])?.map { $0["action"] as? String } == ["issued", "revoked"])
            }
            var cursor: String?
            try await client.execute(uri: "/v1/registry/licences?holder=9131&limit=2", method: .get, headers: portal) { response in
                #expect(response.status == .ok)
                let object = try Self.object(response)
                #expect(object["count"] as? Int == 2)
                #expect((object["items"] as? [[String: Any]])?.map { $0["key"] as? String } == ["L-1", "L-2"])
                cursor = object["next_cursor"] as? String
            }
            let next = try #require(cursor)
            try await client.execute(uri: "/v1/registry/licences?holder=9131&limit=2&cursor=\(next)", method: .get, headers: portal) { response in
                let object = try Self.object(response)
                #expect((object["items"] as? [[String: Any]])?.map { $0["key"] as? String } == ["L-3"])
                #expect(object["next_cursor"] == nil)
            }
            try await client.execute(uri: "/v1/registry/licences?status=revoked", method: .get, headers: portal) { response in
                let object = try Self.object(response)
                #expect((object["items"] as? [[String: Any]])?.map { $0["key"] as? String } == ["L-2"])
            }
        }
        let queries = try Self.audit(fixture, kind: "queried")
        #expect(queries.count == 4)
        #expect(queries.allSatisfy { $0["actor"] as? String == "portal" && $0["outcome"] as? String == "ok" })
        #expect(queries.map { $0["results"] as? Int } == [1, 2, 1, 1])
    }

    @Test func auditorsSeeWholeEntries() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/registry/licences/L-1", method: .get, headers: [.authorization: "Bearer \(fixture.tokens["auditor"]!)"]) { response in
                let object = try Self.object(response)
                #expect(object["type"] as? String == "food")
                #expect(object["projected"] as? Bool == false)
                #expect(object["agreement"] == nil)
                #expect((object["data"] as? [String: Any])?["licence_type"] as? String == "food")
            }
        }
    }

    /// A caller sending refused queries as fast as it can (malformed ones, keys that do not
    /// exist, collections it is not entitled to) adds its burst of entries and one summary per
    /// interval to the log, not an entry per query.
    @Test func refusedQueriesCannotGrowTheAuditLogAtTheirRate() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        let portal: HTTPFields = [.authorization: "Bearer \(fixture.tokens["portal"]!)"]
        let before = fixture.store.auditCount
        try await fixture.app.test(.router) { client in
            for index in 0..<200 {
                let uri = [
                    "/v1/registry/licences?limit=0", "/v1/registry/permits-\(index)", "/v1/registry/licences/L-1?history=x",
                    "/v1/registry/licences/L-missing-\(index)",
                ][index % 4]
                try await client.execute(uri: uri, method: .get, headers: portal) { response in
                    #expect(response.status.code == 400 || response.status.code == 404, "\(uri)")
                }
            }
            // Not entitled to the collection: refused 403, counted in the same tally.
            let stranger: HTTPFields = [.authorization: "Bearer \(fixture.tokens["stranger"]!)"]
            for index in 0..<50 {
                try await client.execute(uri: "/v1/registry/licences/L-\(index)", method: .get, headers: stranger) { response in
                    #expect(response.status.code == 403)
                }
            }
        }
        let burst = AnonymousRefusals.PrincipalConfiguration().burst
        #expect(fixture.store.auditCount - before == UInt64(2 * burst), "entries written one by one: each caller's burst")
        #expect(await fixture.exchange.flushPrincipalRefusals() == 2)
        let summary = try #require(try Self.audit(fixture, kind: "rejected").last)
        #expect(summary["actor"] as? String == "portal")
        #expect(summary["count"] as? Int == 200 - burst)
        let denials = try #require(try Self.audit(fixture, kind: "access_denied").last)
        #expect(denials["actor"] as? String == "web-portal")
        #expect(denials["count"] as? Int == 50 - burst)
    }

    @Test func refusalsAreProblemsAndAudited() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        let portal: HTTPFields = [.authorization: "Bearer \(fixture.tokens["portal"]!)"]
        let cases: [(String, HTTPFields, Int, String)] = [
            ("/v1/registry/permits/L-1", portal, 404, "registry.unknown_collection"),
            ("/v1/registry/licences/L-404", portal, 404, "registry.not_found"),
            ("/v1/registry/licences?cursor=AQEBAgM", portal, 400, "registry.bad_cursor"),
            ("/v1/registry/licences?limit=5000", portal, 400, "registry.bad_query"),
            ("/v1/registry/licences?limit=%2B5", portal, 400, "registry.bad_query"),
            ("/v1/registry/licences?colour=red", portal, 400, "registry.bad_query"),
            ("/v1/registry/licences/L-1?history=maybe", portal, 400, "registry.bad_query"),
            ("/v1/registry/licences/L-1", [.authorization: "Bearer \(fixture.tokens["stranger"]!)"], 403, "registry.not_entitled"),
            ("/v1/registry/licences/L-1", [.authorization: "Bearer \(fixture.tokens["admin"]!)"], 403, "auth.forbidden"),
            ("/v1/registry/licences/L-1", [:], 401, "auth.unauthenticated"),
        ]
        try await fixture.app.test(.router) { client in
            for (uri, headers, status, code) in cases {
                try await client.execute(uri: uri, method: .get, headers: headers) { response in
                    #expect(Int(response.status.code) == status, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let object = try Self.object(response)
                    #expect(object["code"] as? String == code, "\(uri)")
                }
            }
        }
        // Each refusal is audited once, as a refused request within its caller's burst (past it,
        // one summary per interval): `rejected` for the 400s and 404s, `access_denied` for the
        // 403s (the stranger's, the admin's), and the anonymous 401 counted and written with its
        // source's others when the refusals are flushed. Only answered queries are `queried`.
        #expect(try Self.audit(fixture, kind: "queried").isEmpty)
        let rejected = try Self.audit(fixture, kind: "rejected")
        #expect(rejected.map { $0["code"] as? String } == [
            "registry.unknown_collection", "registry.not_found", "registry.bad_cursor", "registry.bad_query", "registry.bad_query",
            "registry.bad_query", "registry.bad_query",
        ])
        #expect(rejected.allSatisfy { $0["actor"] as? String == "portal" && $0["count"] == nil })
        let denied = try Self.audit(fixture, kind: "access_denied")
        #expect(denied.map { $0["actor"] as? String } == ["web-portal", "ops"])
        #expect(denied.map { $0["code"] as? String } == ["registry.not_entitled", "auth.forbidden"])
        #expect(await fixture.exchange.flushAnonymousRefusals() == 1)
        let anonymous = try Self.audit(fixture, kind: "access_denied").dropFirst(2)
        #expect(anonymous.map { $0["actor"] as? String } == ["anonymous"])
        #expect(anonymous.first?["count"] as? Int == 1)
        #expect(anonymous.first?["code"] as? String == "auth.unauthenticated")
    }

    /// `?history=true` answers one page of the history: `history_limit` items, the total in
    /// `history_count`, and `history_next_cursor` while more follow, which `history_cursor`
    /// continues from; bad paging parameters are problems.
    @Test func theHistoryIsPagedWithACursor() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        let portal: HTTPFields = [.authorization: "Bearer \(fixture.tokens["portal"]!)"]
        try await fixture.app.test(.router) { client in
            var cursor: String?
            try await client.execute(uri: "/v1/registry/licences/L-2?history=true&history_limit=1", method: .get, headers: portal) { response in
                #expect(response.status == .ok)
                let object = try Self.object(response)
                #expect(object["history_count"] as? Int == 2)
                let history = try #require(object["history"] as? [[String: Any]])
                #expect(history.map { $0["action"] as? String } == ["issued"])
                cursor = object["history_next_cursor"] as? String
                #expect(cursor == (history.first?["sequence"] as? Int).map(String.init))
            }
            let next = try #require(cursor)
            try await client.execute(uri: "/v1/registry/licences/L-2?history=true&history_cursor=\(next)", method: .get, headers: portal) { response in
                let object = try Self.object(response)
                #expect((object["history"] as? [[String: Any]])?.map { $0["action"] as? String } == ["revoked"])
                #expect(object["history_next_cursor"] == nil)
            }
            try await client.execute(uri: "/v1/registry/licences/L-2", method: .get, headers: portal) { response in
                let object = try Self.object(response)
                #expect(object["history_count"] as? Int == 2)
                #expect(object["history"] == nil && object["history_next_cursor"] == nil)
            }
            for uri in [
                "/v1/registry/licences/L-2?history=true&history_limit=0", "/v1/registry/licences/L-2?history=true&history_limit=1001",
                "/v1/registry/licences/L-2?history=true&history_cursor=-1", "/v1/registry/licences/L-2?history_cursor=1",
            ] {
                try await client.execute(uri: uri, method: .get, headers: portal) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let object = try Self.object(response)
                    #expect(object["code"] as? String == "registry.bad_query", "\(uri)")
                }
            }
        }
    }
}
