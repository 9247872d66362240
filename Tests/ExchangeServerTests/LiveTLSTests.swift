import AsyncHTTPClient
import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeServer
import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Prometheus
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// Starts the real application (TLS, WebSocket-capable HTTP/1.1) on 127.0.0.1 with a free port
/// and certificates generated for the test, and talks to it with AsyncHTTPClient.
@Suite("Live TLS server")
struct LiveTLSTests {
    struct PKI {
        let directory: TemporaryDirectory
        let caPEM: String
        let client: DevelopmentPKI.Issued
        let stranger: DevelopmentPKI.Issued
        let foreign: DevelopmentPKI.Issued
        let configuration: ServerConfiguration
        let portalSecret: String
    }

    static func makePKI(requireClientCertificate: Bool = false) throws -> PKI {
        let directory = try TemporaryDirectory()
        let ca = try DevelopmentPKI(commonName: "Test CA", validityDays: 1)
        let server = try ca.issueServerCertificate()
        let client = try ca.issueClientCertificate(commonName: "tax-bureau")
        let stranger = try ca.issueClientCertificate(commonName: "not-a-department")
        let foreignCA = try DevelopmentPKI(commonName: "Foreign CA", validityDays: 1)
        let foreign = try foreignCA.issueClientCertificate(commonName: "tax-bureau")
        let caPEM = try ca.authority.certificatePEM()
        _ = try directory.write("ca.crt", caPEM)
        _ = try directory.write("server.crt", try server.certificatePEM())
        _ = try directory.write("server.key", server.privateKeyPEM)
        var tokens = TokenFile()
        let secret = try tokens.create(name: "portal", role: .portal)
        try tokens.save(path: directory.file("tokens.json"))
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0,
            certificatePath: directory.file("server.crt"), privateKeyPath: directory.file("server.key"),
            clientCAPath: directory.file("ca.crt"), requireClientCertificate: requireClientCertificate,
            limits: ServerLimits(maxEventSize: 256, maxBatchEvents: 2, maxRequestBody: 1024),
            tokensPath: directory.file("tokens.json"))
        return PKI(directory: directory, caPEM: caPEM, client: client, stranger: stranger, foreign: foreign, configuration: configuration, portalSecret: secret)
    }

    /// Runs the server for the duration of `body`, passing the bound port.
    static func withServer(
        _ pki: PKI, refusals: RefusalLog, _ body: (Int) async throws -> Void
    ) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let tokens = try TokenStore(path: pki.configuration.tokensPath)
        let app = try buildApplication(
            configuration: pki.configuration,
            dependencies: ServerDependencies(
                identityResolver: StaticCertificateIdentityResolver.commonNames([DepartmentID("tax-bureau")!]),
                tokens: tokens,
                refusalObserver: { refusals.record($0) }),
            logger: Logger(label: "live-test"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? -1)
                continuation.finish()
            },
            routes: registerTestRoutes,
            webSocketRoutes: registerTestWebSocketRoutes)
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "live-test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            #expect(port > 0)
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func clientTLS(pki: PKI, certificate: DevelopmentPKI.Issued?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(try certificate.certificatePEM().utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        }
        return tls
    }

    static func client(pki: PKI, certificate: DevelopmentPKI.Issued?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caPEM.utf8)))
        if let certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(try certificate.certificatePEM().utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func get(_ client: HTTPClient, port: Int, path: String, headers: [(String, String)] = []) async throws -> (status: Int, contentType: String?, body: String) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await send(client, request)
    }

    static func send(_ client: HTTPClient, _ request: HTTPClientRequest) async throws -> (status: Int, contentType: String?, body: String) {
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), response.headers.first(name: "content-type"), String(buffer: body))
    }

    @Test func identitiesOverTLS() async throws {
        let pki = try Self.makePKI()
        defer { pki.directory.remove() }
        let refusals = RefusalLog()
        try await Self.withServer(pki, refusals: refusals) { port in
            let department = try Self.client(pki: pki, certificate: pki.client)
            let anonymous = try Self.client(pki: pki, certificate: nil)
            let stranger = try Self.client(pki: pki, certificate: pki.stranger)
            do {
                let asDepartment = try await Self.get(department, port: port, path: "/v1/whoami")
                #expect(asDepartment.status == 200)
                #expect(asDepartment.body == "department tax-bureau")

                let asToken = try await Self.get(anonymous, port: port, path: "/v1/whoami", headers: [("Authorization", "Bearer \(pki.portalSecret)")])
                #expect(asToken.status == 200)
                #expect(asToken.body == "portal portal")

                // A bearer token takes precedence over the connection's client certificate.
                let both = try await Self.get(department, port: port, path: "/v1/whoami", headers: [("Authorization", "Bearer \(pki.portalSecret)")])
                #expect(both.body == "portal portal")

                let forbidden = try await Self.get(department, port: port, path: "/v1/admin")
                #expect(forbidden.status == 403)
                #expect(forbidden.body.contains(#""code":"auth.forbidden""#))

                let nobody = try await Self.get(anonymous, port: port, path: "/v1/whoami")
                #expect(nobody.status == 401)
                #expect(nobody.contentType == "application/problem+json")
                #expect(nobody.body.contains(#""code":"auth.unauthenticated""#))

                let unknown = try await Self.get(stranger, port: port, path: "/v1/whoami")
                #expect(unknown.status == 401)
                #expect(unknown.body.contains(#""code":"auth.unknown_certificate""#))

                let health = try await Self.get(anonymous, port: port, path: "/healthz")
                #expect(health.status == 200)

                var publish = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/events")
                publish.method = .POST
                publish.headers.add(name: "Content-Type", value: CloudEvents.batchMediaType)
                publish.body = .bytes(ByteBuffer(string: #"[{"specversion":"1.0","id":"1","type":"t","topic":"a"},{"specversion":"1.0","id":"2","type":"t","topic":"a"}]"#))
                let published = try await Self.send(department, publish)
                #expect(published.status == 200)
                #expect(published.body == "2")

                publish.headers.replaceOrAdd(name: "Content-Type", value: "text/plain")
                let unsupported = try await Self.send(department, publish)
                #expect(unsupported.status == 415)
                #expect(unsupported.body.contains(#""code":"cloudevents.unsupported_content_type""#))
            } catch {
                try? await department.shutdown()
                try? await anonymous.shutdown()
                try? await stranger.shutdown()
                throw error
            }
            try await department.shutdown()
            try await anonymous.shutdown()
            try await stranger.shutdown()
        }
        // Every refusal, also the CloudEvents layer's 415, is reported once, with its identity.
        #expect(refusals.all.map(\.code) == ["auth.forbidden", "auth.unauthenticated", "auth.unknown_certificate", "cloudevents.unsupported_content_type"])
        #expect(refusals.all.map(\.actor) == ["tax-bureau", nil, nil, "tax-bureau"])
        #expect(refusals.all.allSatisfy { $0.source == "127.0.0.1" })
    }

    @Test func foreignCertificateFailsTheHandshake() async throws {
        let pki = try Self.makePKI()
        defer { pki.directory.remove() }
        let refusals = RefusalLog()
        try await Self.withServer(pki, refusals: refusals) { port in
            let foreign = try Self.client(pki: pki, certificate: pki.foreign)
            let trusted = try Self.client(pki: pki, certificate: pki.client)
            // The same request with the CA's own certificate succeeds: the failure below is the certificate's.
            let good = try await Self.get(trusted, port: port, path: "/v1/whoami")
            #expect(good.status == 200)
            do {
                _ = try await Self.get(foreign, port: port, path: "/v1/whoami")
                Issue.record("a certificate from a foreign CA was accepted")
            } catch {
                // BoringSSL reports the server's "unknown ca" alert.
                #expect(String(reflecting: error).contains("TLSV1_ALERT_UNKNOWN_CA"), "\(error)")
            }
            try await foreign.shutdown()
            try await trusted.shutdown()
            // The refused handshake is reported for the audit log, without an identity.
            for _ in 0..<100 where refusals.all.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(refusals.all.map(\.code) == ["tls.handshake_refused"])
        #expect(refusals.all.first?.actor == nil)
        #expect(refusals.all.first?.method == "TLS")
        #expect(refusals.all.first?.source == "127.0.0.1")
        #expect(refusals.all.first?.detail?.contains("CERTIFICATE") == true, "\(refusals.all)")
    }

    @Test func requiredClientCertificateRefusesTokenOnlyClients() async throws {
        let pki = try Self.makePKI(requireClientCertificate: true)
        defer { pki.directory.remove() }
        try await Self.withServer(pki, refusals: RefusalLog()) { port in
            let anonymous = try Self.client(pki: pki, certificate: nil)
            let department = try Self.client(pki: pki, certificate: pki.client)
            let good = try await Self.get(department, port: port, path: "/v1/whoami")
            #expect(good.status == 200)
            do {
                _ = try await Self.get(anonymous, port: port, path: "/healthz", headers: [("Authorization", "Bearer \(pki.portalSecret)")])
                Issue.record("a client without certificate was accepted")
            } catch {
                #expect(String(reflecting: error).contains("TLSV1_ALERT_CERTIFICATE_REQUIRED"), "\(error)")
            }
            try await anonymous.shutdown()
            try await department.shutdown()
        }
    }

    @Test func webSocketUpgradeCarriesTheIdentity() async throws {
        let pki = try Self.makePKI()
        defer { pki.directory.remove() }
        let refusals = RefusalLog()
        try await Self.withServer(pki, refusals: refusals) { port in
            let url = "wss://127.0.0.1:\(port)/v1/echo"
            let reply = Mutex<String?>(nil)
            try await WebSocketClient.connect(
                url: url, configuration: .init(sniHostname: "localhost"),
                tlsConfiguration: try Self.clientTLS(pki: pki, certificate: pki.client), logger: Logger(label: "ws-client")
            ) { inbound, outbound, _ in
                try await outbound.write(.text("hello"))
                var messages = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                if case .text(let text) = try await messages.next() {
                    reply.withLock { $0 = text }
                }
            }
            #expect(reply.withLock { $0 } == "tax-bureau: hello")

            // Without an identity the upgrade is refused, and the refusal reported.
            await #expect(throws: WebSocketClientError.webSocketUpgradeFailed) {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try Self.clientTLS(pki: pki, certificate: nil), logger: Logger(label: "ws-client")
                ) { _, outbound, _ in
                    try await outbound.write(.text("should not get here"))
                }
            }
        }
        #expect(refusals.all.map(\.code) == ["auth.unauthenticated"])
        #expect(refusals.all.first?.path == "/v1/echo")
    }
}
