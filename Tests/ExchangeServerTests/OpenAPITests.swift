import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TestSupport
import Testing
import Yams

/// docs/openapi.yaml describes exactly the routes the server registers.
@Suite("OpenAPI description")
struct OpenAPITests {
    static let operationsRoutes: Set<String> = ["GET /healthz", "GET /readyz", "GET /metrics"]
    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "docs/openapi.yaml is not a YAML mapping")
    }

    /// `METHOD /path` for every operation under `paths`.
    static func documentedEndpoints(_ document: [String: Any]) throws -> Set<String> {
        let paths = try #require(document["paths"] as? [String: Any], "docs/openapi.yaml has no paths")
        var endpoints: Set<String> = []
        for (path, item) in paths {
            let operations = try #require(item as? [String: Any], "\(path) is not a path item")
            for method in operations.keys where httpMethods.contains(method) {
                endpoints.insert("\(method.uppercased()) \(path)")
            }
        }
        return endpoints
    }

    /// A concrete path for a template: every `{parameter}` filled.
    static func concrete(_ template: String) -> String {
        template.replacingOccurrences(of: "{topic}", with: "licence.business.issued")
            .replacingOccurrences(of: "{name}", with: "tax-licences")
            .replacingOccurrences(of: "{collection}", with: "licences").replacingOccurrences(of: "{key}", with: "L-1")
    }

    @Test func declaresOpenAPI31() throws {
        let document = try Self.document()
        let version = try #require(document["openapi"] as? String, "openapi must be a string")
        #expect(version.hasPrefix("3.1."))
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: Any])
        #expect((schemes["mutualTLS"] as? [String: Any])?["type"] as? String == "mutualTLS")
        #expect((schemes["bearer"] as? [String: Any])?["scheme"] as? String == "bearer")
        let schemas = try #require(components["schemas"] as? [String: Any])
        let problem = try #require(schemas["Problem"] as? [String: Any])
        let properties = try #require(problem["properties"] as? [String: Any])
        #expect(Set(properties.keys).isSuperset(of: ["type", "title", "status", "detail", "instance", "code"]))
    }

    @Test func documentsExactlyTheRegisteredEndpoints() throws {
        let documented = try Self.documentedEndpoints(try Self.document())
        let registered = Set(ExchangeRoutes.endpoints.map(\.description)).union(Self.operationsRoutes)
        #expect(documented.subtracting(registered).isEmpty, "documented but not in ExchangeRoutes.endpoints")
        #expect(registered.subtracting(documented).isEmpty, "in ExchangeRoutes.endpoints but not documented")
    }

    @Test func endpointTableIsWellFormed() {
        let endpoints = ExchangeRoutes.endpoints
        #expect(Set(endpoints.map(\.operation)) == Set(ExchangeEndpoint.Operation.allCases))
        #expect(Set(endpoints.map(\.description)).count == endpoints.count)
        for endpoint in endpoints {
            #expect(endpoint.path.hasPrefix("/v1/"))
            #expect(!endpoint.routerPath.contains("{"))
            if endpoint.transport == .webSocket { #expect(endpoint.method == .get) }
        }
        #expect(ExchangeEndpoint(.ack, .post, "/v1/subscriptions/{name}/ack").routerPath == "subscriptions/:name/ack")
    }

    /// Each endpoint in the table answers through its route: never `http.not_found` or
    /// `http.method_not_allowed`, whatever else it answers to an admin token.
    @Test func everyEndpointIsRouted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let admin = try file.create(name: "ops", role: .admin)
        try file.save(path: directory.file("tokens.json"))
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        defer { store.close() }
        let exchange = Exchange(store: store, agreements: AgreementRegistry())
        let routes = ExchangeRoutes(exchange: exchange, logger: Logger(label: "test"))
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver([]), tokens: try TokenStore(path: directory.file("tokens.json")))

        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        routes.register(on: router.group("v1").add(middleware: RequireAuthenticationMiddleware()))
        let webSocketRouter = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        routes.registerWebSockets(on: webSocketRouter.group("v1").add(middleware: RequireAuthenticationMiddleware()))

        for (router, transport) in [(router, ExchangeEndpoint.Transport.http), (webSocketRouter, .webSocket)] {
            let endpoints = ExchangeRoutes.endpoints.filter { $0.transport == transport }
            try await Application(router: router).test(.router) { client in
                // The control: a path no route has.
                try await client.execute(uri: "/v1/no-such-route", method: .get, headers: [.authorization: "Bearer \(admin)"]) { response in
                    #expect(response.status == .notFound)
                }
                if transport == .http {
                    for path in ["/healthz", "/readyz", "/metrics"] {
                        try await client.execute(uri: path, method: .get) { response in
                            #expect(response.status == .ok, "GET \(path) is not routed")
                        }
                    }
                }
                for endpoint in endpoints {
                    let body = endpoint.method == .post || endpoint.method == .put ? ByteBuffer(string: "{}") : nil
                    try await client.execute(
                        uri: Self.concrete(endpoint.path), method: endpoint.method,
                        headers: [.authorization: "Bearer \(admin)", .contentType: "application/json"], body: body
                    ) { response in
                        let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                        let code = object?["code"] as? String
                        // Routed endpoints may answer 404 for what they look up: a store entry, a
                        // checkpoint not issued yet, an audit key not configured.
                        let lookups: Set<String?> = ["store.not_found", "audit.no_checkpoint", "audit.not_configured"]
                        #expect(response.status != .notFound || lookups.contains(code), "\(endpoint) is not routed")
                        #expect(response.status != .methodNotAllowed, "\(endpoint) is not routed for its method")
                        #expect(code != "http.not_found" && code != "http.method_not_allowed", "\(endpoint) answered \(code ?? "")")
                    }
                }
            }
        }
    }
}
