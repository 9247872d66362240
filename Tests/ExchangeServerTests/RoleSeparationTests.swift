import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
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

/// Separated roles (docs/security.md, "Separated roles"): over every HTTP endpoint of the API,
/// each token role reaches exactly the endpoints of its duties and is refused (403
/// `auth.forbidden`) on every other. Administration (admin) reloads configuration and reads
/// the register and the audit log's hashes; audit (auditor) reads the audit log, the
/// register and everything carried; the portal queries the registry. None of them publishes,
/// subscribes or settles: those are the departments' (client certificates).
@Suite struct RoleSeparationTests {
    /// The token roles allowed on each operation; every other token role is refused.
    static let allowed: [ExchangeEndpoint.Operation: Set<Role>] = [
        .publish: [], .putSubscription: [], .getSubscription: [], .deleteSubscription: [], .pull: [],
        .ack: [], .nak: [], .term: [], .deadLetters: [], .redrive: [],
        .replay: [.auditor],
        .reload: [.admin],
        .registryLookup: [.portal, .auditor], .registrySearch: [.portal, .auditor],
        .auditKey: [.auditor, .admin], .auditCheckpoint: [.auditor, .admin], .auditCheckpoints: [.auditor, .admin],
        .auditInclusionProof: [.auditor, .admin], .auditConsistencyProof: [.auditor, .admin],
        .auditEntries: [.auditor], .auditEvents: [.auditor], .auditReplay: [.auditor],
        .auditSubject: [.portal, .auditor],
        .listAgreements: [.admin, .auditor], .showAgreement: [.admin, .auditor],
        .catalogue: [.portal, .auditor, .admin],
        .listHolds: [.admin, .auditor], .setHold: [.admin], .liftHold: [.admin],
        .backup: [.operator],
    ]

    static func path(_ endpoint: ExchangeEndpoint) -> String {
        endpoint.path
            .replacingOccurrences(of: "{topic}", with: "licence.business.issued")
            .replacingOccurrences(of: "{name}", with: "sub-1")
            .replacingOccurrences(of: "{collection}", with: "licences")
            .replacingOccurrences(of: "{key}", with: "L-1")
            .replacingOccurrences(of: "{id}", with: "a1")
            .replacingOccurrences(of: "{subject}", with: "L-1")
    }

    @Test func eachTokenRoleReachesOnlyItsOwnEndpoints() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let secrets: [(Role, String)] = [
            (.portal, try file.create(name: "service-portal", role: .portal)),
            (.auditor, try file.create(name: "auditor-1", role: .auditor)),
            (.admin, try file.create(name: "ops", role: .admin)),
            (.operator, try file.create(name: "backup-operator", role: .operator)),
        ]
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
        let app = Application(router: router)
        let endpoints = ExchangeRoutes.endpoints.filter { $0.transport == .http }
        #expect(Set(endpoints.map(\.operation)) == Set(Self.allowed.keys), "every HTTP operation has a row in the table")
        try await app.test(.router) { client in
            for endpoint in endpoints {
                let allowed = try #require(Self.allowed[endpoint.operation])
                for (role, secret) in secrets {
                    let method = HTTPRequest.Method(rawValue: endpoint.method.rawValue)!
                    try await client.execute(
                        uri: Self.path(endpoint), method: method,
                        headers: [.authorization: "Bearer \(secret)", .contentType: "application/json"],
                        body: method == .get || method == .delete ? nil : ByteBuffer(string: "{}")
                    ) { response in
                        let object = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                        let forbidden = response.status == .forbidden && object?["code"] as? String == "auth.forbidden"
                        #expect(forbidden == !allowed.contains(role), "\(role) on \(endpoint): \(response.status) \(object ?? [:])")
                    }
                }
            }
        }
    }
}
