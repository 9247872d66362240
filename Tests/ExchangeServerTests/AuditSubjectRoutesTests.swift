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

/// `GET /v1/audit/subjects/{subject}` (the data tracker) over the real routes, engine and
/// store, with bearer tokens: auditors see every event about a subject, the portal only those
/// its department published or received, admins nothing (administration reads no audit entries).
@Suite("Data tracker HTTP API")
struct AuditSubjectRoutesTests {
    struct Fixture {
        let app: Application<RouterResponder<ExchangeRequestContext>>
        let store: ExchangeStore
        let tokens: [String: String]
        let directory: TemporaryDirectory
    }

    static let msa = DepartmentID("msa")!

    /// `msa` publishes licences to `tax` (every business topic, "tax registration") and to the
    /// portal (issued licences only, "portal lookups"): L-1 issued (to both), L-2 revoked (to
    /// tax only), then L-1 revoked (to tax only), and events of other subjects around them.
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
        let department = { (id: String) in Department(id: DepartmentID(id)!, name: id, certificate: CertificateIdentity(subjectCommonName: id)) }
        let set = try AgreementSet(
            departments: [
                department("msa"), department("tax"),
                Department(id: DepartmentID("portal")!, name: "portal", certificate: CertificateIdentity(subjectCommonName: "portal"), roles: [.department, .portal]),
            ],
            topics: ["issued", "revoked"].map { TopicDefinition(name: Topic("licence.business.\($0)")!, owner: msa) },
            agreements: [
                Agreement(
                    id: "msa-portal", provider: msa, consumers: [DepartmentID("portal")!], topics: [TopicPattern("licence.business.issued")!],
                    purpose: "portal lookups", legalBasis: "l"),
                Agreement(
                    id: "msa-tax", provider: msa, consumers: [DepartmentID("tax")!], topics: [TopicPattern("licence.business.>")!],
                    purpose: "tax registration", legalBasis: "l"),
            ])
        let exchange = Exchange(store: store, agreements: AgreementRegistry(initial: set))
        let events: [(String, String, String)] = [
            ("e1", "issued", "L-1"), ("o1", "issued", "L-9"), ("r2", "revoked", "L-2"), ("o2", "revoked", "L-9"), ("r1", "revoked", "L-1"),
        ]
        for (id, action, subject) in events {
            _ = try await exchange.publish(
                [
                    Envelope(
                        id: id, source: "msa", type: "licence.\(action)", topic: "licence.business.\(action)", subject: subject,
                        data: Array(#"{"licence_no":"\#(subject)"}"#.utf8))
                ],
                from: msa)
        }
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]), tokens: try TokenStore(path: directory.file("tokens.json")),
            refusalObserver: { refusal in await exchange.recordRefusal(refusal) })
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        ExchangeRoutes(exchange: exchange, logger: Logger(label: "test"))
            .register(on: router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        return Fixture(app: Application(router: router), store: store, tokens: tokens, directory: directory)
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func events(_ response: TestResponse) throws -> [[String: Any]] {
        try #require(try object(response)["events"] as? [[String: Any]])
    }

    static func headers(_ fixture: Fixture, _ who: String) -> HTTPFields {
        [.authorization: "Bearer \(fixture.tokens[who]!)"]
    }

    @Test func anAuditorSeesEveryEventAboutTheSubjectWithItsRecipientsAndPurposes() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            for who in ["auditor"] {
                try await client.execute(uri: "/v1/audit/subjects/L-1", method: .get, headers: Self.headers(fixture, who)) { response in
                    #expect(response.status == .ok)
                    let events = try Self.events(response)
                    #expect(events.map { $0["topic"] as? String } == ["licence.business.revoked", "licence.business.issued"], "\(who)")
                    #expect(events.allSatisfy { $0["provider"] as? String == "msa" })
                    let issued = try #require(events.last?["recipients"] as? [[String: Any]])
                    let purposes = Dictionary(uniqueKeysWithValues: issued.map { ($0["department"] as! String, $0["purpose"] as? String) })
                    #expect(purposes == ["tax": "tax registration", "portal": "portal lookups"])
                    #expect(issued.allSatisfy { $0["agreement_version"] as? Int == 1 })
                    #expect(try Self.object(response)["next_before"] == nil)
                }
            }
        }
    }

    @Test func thePortalSeesOnlyWhatItsDepartmentReceived() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            // L-1: the issued event went to the portal (with all its recipients); the revocation did not.
            try await client.execute(uri: "/v1/audit/subjects/L-1", method: .get, headers: Self.headers(fixture, "portal")) { response in
                #expect(response.status == .ok)
                let events = try Self.events(response)
                #expect(events.map { $0["topic"] as? String } == ["licence.business.issued"])
                let recipients = (events.first?["recipients"] as? [[String: Any]])?.compactMap { $0["department"] as? String }
                #expect(Set(recipients ?? []) == ["tax", "portal"])
            }
            // L-2 was shared with tax alone: refused to the portal as an empty trail.
            try await client.execute(uri: "/v1/audit/subjects/L-2", method: .get, headers: Self.headers(fixture, "portal")) { response in
                #expect(response.status == .ok)
                let events = try Self.events(response)
                #expect(events.isEmpty)
            }
            // A portal token naming no department with the portal role sees nothing.
            try await client.execute(uri: "/v1/audit/subjects/L-1", method: .get, headers: Self.headers(fixture, "stranger")) { response in
                #expect(response.status == .ok)
                let events = try Self.events(response)
                #expect(events.isEmpty)
            }
        }
        let reads = try fixture.store.auditEntries(from: 0, limit: 1000).compactMap { entry -> [String: Any]? in
            let object = try JSONSerialization.jsonObject(with: Data(entry)) as! [String: Any]
            return object["kind"] as? String == "audit_read" ? object : nil
        }
        #expect(reads.map { $0["actor"] as? String } == ["portal", "portal", "web-portal"])
        #expect(reads.first?["endpoint"] as? String == "/v1/audit/subjects/L-1")
    }

    /// Separation of administration and audit (docs/security.md): an admin token reads no audit
    /// entry, so the tracker (providers, topics, recipients of every event) refuses it, as the
    /// console's tracker does, and writes no `audit_read` for it.
    @Test func anAdminIsRefused() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/audit/subjects/L-1", method: .get, headers: Self.headers(fixture, "admin")) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.contentType] == "application/problem+json")
                let object = try Self.object(response)
                #expect(object["code"] as? String == "auth.forbidden")
                #expect(object["events"] == nil)
            }
        }
        let kinds = try fixture.store.auditEntries(from: 0, limit: 1000).compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["kind"] as? String
        }
        #expect(!kinds.contains("audit_read"), "\(kinds)")
    }

    @Test func pagesContinueWithTheCursor() async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            var next: Int?
            try await client.execute(uri: "/v1/audit/subjects/L-1?limit=1", method: .get, headers: Self.headers(fixture, "auditor")) { response in
                let events = try Self.events(response)
                #expect(events.map { $0["topic"] as? String } == ["licence.business.revoked"])
                next = try Self.object(response)["next_before"] as? Int
            }
            let before = try #require(next)
            try await client.execute(uri: "/v1/audit/subjects/L-1?limit=1&before=\(before)", method: .get, headers: Self.headers(fixture, "auditor")) { response in
                let events = try Self.events(response)
                #expect(events.map { $0["topic"] as? String } == ["licence.business.issued"])
                #expect(try Self.object(response)["next_before"] == nil)
            }
        }
    }

    @Test(arguments: [
        "/v1/audit/subjects/L-1?limit=0", "/v1/audit/subjects/L-1?limit=1001", "/v1/audit/subjects/L-1?before=-1",
        "/v1/audit/subjects/%FF", "/v1/audit/subjects/" + String(repeating: "x", count: 257),
        // A sign is not a digit: numbers in the query are digits only.
        "/v1/audit/subjects/L-1?limit=%2B5", "/v1/audit/subjects/L-1?before=%2B3",
    ])
    func badInputIsAProblem(uri: String) async throws {
        let fixture = try await Self.fixture()
        defer {
            fixture.store.close()
            fixture.directory.remove()
        }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: Self.headers(fixture, "auditor")) { response in
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.headers[.contentType] == "application/problem+json")
                let object = try Self.object(response)
                #expect(object["code"] as? String == "http.bad_request")
            }
        }
    }
}
