import CoreMetrics
import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeServer
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import TestSupport
import Testing

@Suite("Router, problems and operations endpoints")
struct RouterTests {
    struct Fixture {
        let app: Application<RouterResponder<ExchangeRequestContext>>
        let refusals: RefusalLog
        let adminSecret: String
        let portalSecret: String
        let directory: TemporaryDirectory
    }

    func fixture(ready: Bool = true) throws -> Fixture {
        let directory = try TemporaryDirectory()
        var file = TokenFile()
        let admin = try file.create(name: "ops", role: .admin)
        let portal = try file.create(name: "portal", role: .portal)
        try file.save(path: directory.file("tokens.json"))
        let refusals = RefusalLog()
        let registry = PrometheusCollectorRegistry()
        let metrics = ExchangeMetrics(factory: ExchangeMetrics.makePrometheusFactory(registry: registry))
        metrics.published.increment(by: 3)
        metrics.commitBatchSize.record(64)
        let configuration = ServerConfiguration(
            certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused",
            limits: ServerLimits(maxEventSize: 256, maxBatchEvents: 2, maxRequestBody: 1024))
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]),
            tokens: try TokenStore(path: directory.file("tokens.json")),
            metricsRegistry: registry,
            readiness: { ready },
            refusalObserver: { refusals.record($0) })
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        registerTestRoutes(router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        return Fixture(app: Application(router: router), refusals: refusals, adminSecret: admin, portalSecret: portal, directory: directory)
    }

    /// Checks a problem+json response: media type, members, and the code.
    func expectProblem(_ response: TestResponse, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(Int(response.status.code) == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any], sourceLocation: sourceLocation)
        #expect(object["code"] as? String == code, sourceLocation: sourceLocation)
        #expect(object["status"] as? Int == status, sourceLocation: sourceLocation)
        #expect(object["type"] as? String == "/problems/\(code)", sourceLocation: sourceLocation)
        #expect((object["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(object["instance"] is String, sourceLocation: sourceLocation)
        #expect(Set(object.keys).isSubset(of: ["type", "title", "status", "detail", "instance", "code"]), sourceLocation: sourceLocation)
    }

    @Test func problemDocumentShape() throws {
        let problem = ProblemError(.missingAttribute, detail: "attribute \"id\" is required")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(problem.document(instance: "/v1/events"))) as? [String: Any])
        #expect(object["type"] as? String == "/problems/cloudevents.missing_attribute")
        #expect(object["title"] as? String == "Missing CloudEvents attribute")
        #expect(object["status"] as? Int == 400)
        #expect(object["detail"] as? String == "attribute \"id\" is required")
        #expect(object["instance"] as? String == "/v1/events")
        #expect(object["code"] as? String == "cloudevents.missing_attribute")
    }

    @Test func codesAreUniqueAndDocumented() throws {
        let codes = ProblemCode.all.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/errors.md").standardized
        let text = try String(contentsOf: docs, encoding: .utf8)
        for code in ProblemCode.all {
            #expect(text.contains("| `\(code.rawValue)` | \(code.status.code) |"), "docs/errors.md lacks \(code.rawValue)")
        }
    }

    @Test func storeErrorsMapToProblems() {
        #expect(ProblemError(StoreError(code: .storeFull, message: "full")).code.status.code == 507)
        #expect(ProblemError(StoreError(code: .closed, message: "closed")).code == .storeClosed)
        #expect(ProblemError(StoreError(code: .notFound, message: "x")).code.status == .notFound)
        #expect(ProblemError(StoreError(code: .conflict, message: "x")).code.status == .conflict)
        #expect(ProblemError(StoreError(code: .corruptRecord, message: "secret detail")).code == .storeFailure)
        #expect(ProblemError(StoreError(code: .corruptRecord, message: "secret detail")).detail?.contains("secret detail") == false)
    }

    @Test func operationsEndpoints() async throws {
        let fixture = try fixture()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#"exchange_publishes_total{outcome="accepted"} 3"#))
                #expect(text.contains("exchange_commit_batch_size_bucket"))
            }
        }
        let notReady = try self.fixture(ready: false)
        defer { notReady.directory.remove() }
        try await notReady.app.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                try expectProblem(response, status: 503, code: "server.not_ready")
            }
        }
    }

    @Test func unknownRouteAndMethod() async throws {
        let fixture = try fixture()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/nowhere", method: .get) { response in
                try expectProblem(response, status: 404, code: "http.not_found")
            }
        }
        // Reported for the audit log like every refusal; without an identity it is only
        // counted, per source, by the engine.
        #expect(fixture.refusals.all.map(\.code) == ["http.not_found"])
        #expect(fixture.refusals.all.map(\.actor) == [nil])
    }

    @Test func authenticationAndRoles() async throws {
        let fixture = try fixture()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/whoami", method: .get) { response in
                try expectProblem(response, status: 401, code: "auth.unauthenticated")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer \(fixture.portalSecret)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "portal portal")
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                try expectProblem(response, status: 401, code: "auth.invalid_token")
            }
            try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Basic \(fixture.portalSecret)"]) { response in
                try expectProblem(response, status: 401, code: "auth.invalid_token")
            }
            try await client.execute(uri: "/v1/admin", method: .get, headers: [.authorization: "Bearer \(fixture.portalSecret)"]) { response in
                try expectProblem(response, status: 403, code: "auth.forbidden")
            }
            try await client.execute(uri: "/v1/admin", method: .get, headers: [.authorization: "bearer \(fixture.adminSecret)"]) { response in
                #expect(response.status == .ok)
            }
            // Operations endpoints need no identity even with a bad token.
            try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .ok)
            }
        }
        let refusals = fixture.refusals.all
        #expect(refusals.count == 4)
        #expect(refusals.map(\.status) == [401, 401, 401, 403])
        #expect(refusals.map(\.actor) == [nil, nil, nil, "portal"])
        #expect(refusals.map(\.code) == ["auth.unauthenticated", "auth.invalid_token", "auth.invalid_token", "auth.forbidden"])
        #expect(refusals[3].path == "/v1/admin")
        #expect(refusals[3].role == "portal")
        #expect(refusals.allSatisfy { $0.source == "127.0.0.1" || $0.source == "unknown" })
        #expect(refusals.allSatisfy { event in !"\(event)".contains(fixture.portalSecret) })
    }

    @Test func bodyLimitsAnswerProblems() async throws {
        let fixture = try fixture()
        defer { fixture.directory.remove() }
        try await fixture.app.test(.router) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "x"), count: 2048)
            try await client.execute(
                uri: "/v1/admin", method: .post, headers: [.authorization: "Bearer \(fixture.adminSecret)"], body: big
            ) { response in
                try expectProblem(response, status: 413, code: "http.body_too_large")
            }
            // Known route, wrong method.
            try await client.execute(uri: "/v1/admin", method: .delete, headers: [.authorization: "Bearer \(fixture.adminSecret)"]) { response in
                #expect(response.status.code >= 400)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            // A CloudEvents refusal from a handler.
            try await client.execute(
                uri: "/v1/events", method: .post, headers: [.authorization: "Bearer \(fixture.adminSecret)"], body: ByteBuffer(string: "{}")
            ) { response in
                try expectProblem(response, status: 403, code: "auth.forbidden")
            }
        }
    }
}
