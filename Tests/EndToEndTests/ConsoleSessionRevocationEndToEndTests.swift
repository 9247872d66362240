import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A console session a department signed in to with its certificate lasts only while the
/// connection presents that certificate, unrevoked: a revoked certificate, another certificate
/// or none ends the session (a redirect to the sign-in page), audited.
@Suite("console session revocation end to end", .serialized)
struct ConsoleSessionRevocationEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func aCertificateSessionEndsWithoutItsCertificateOrWhenItIsRevoked() async throws {
        let daemon = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: daemon.directory) }
        try StreamRevocationEndToEndTests.configureRevocationList(daemon)
        try await daemon.start()
        var clients: [HTTPClient] = []
        func client(_ department: String?) throws -> HTTPClient {
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(tlsConfiguration: try daemon.tls(department), redirectConfiguration: .disallow))
            clients.append(client)
            return client
        }
        do {
            let tax = try client("tax")
            let msa = try client("msa")
            let anonymous = try client(nil)

            // msa's session, presented over a connection without a certificate: ended.
            let msaSession = try await Self.signIn(msa, daemon)
            #expect(try await Self.get(msa, daemon, "/console/departments", session: msaSession).status == .ok)
            let bare = try await Self.get(anonymous, daemon, "/console/departments", session: msaSession)
            #expect(bare.status == .seeOther && bare.headers.first(name: "location") == "/console/signin", "\(bare.status)")
            #expect(try await Self.get(msa, daemon, "/console/departments", session: msaSession).status == .seeOther, "the session was not ended")
            // ... or with another department's certificate.
            let msaAgain = try await Self.signIn(msa, daemon)
            #expect(try await Self.get(tax, daemon, "/console/departments", session: msaAgain).status == .seeOther)

            // tax's session, its certificate revoked while it is open.
            let taxSession = try await Self.signIn(tax, daemon)
            #expect(try await Self.get(tax, daemon, "/console/departments", session: taxSession).status == .ok)
            try await StreamRevocationEndToEndTests.revoke("tax", daemon)
            let revoked = try await Self.get(tax, daemon, "/console/departments", session: taxSession)
            #expect(revoked.status == .seeOther && revoked.headers.first(name: "location") == "/console/signin", "\(revoked.status)")
            #expect(try await Self.get(anonymous, daemon, "/console/departments", session: taxSession).status == .seeOther)
            // msa, not revoked, signs in and works as before.
            let msaThird = try await Self.signIn(msa, daemon)
            #expect(try await Self.get(msa, daemon, "/console/departments", session: msaThird).status == .ok)
            #expect(try await daemon.stop() == 0)

            let entries = try StreamRevocationEndToEndTests.auditEntries(daemon)
            let revokedRefusals = entries.filter { $0.contains("auth.certificate_revoked") && $0.contains("/console/departments") }
            #expect(revokedRefusals.count == 1, "\(revokedRefusals)")
            #expect(revokedRefusals.allSatisfy { $0.contains("\"actor\":\"tax\"") && $0.contains("\"kind\":\"access_denied\"") }, "\(revokedRefusals)")
            let unboundRefusals = entries.filter { $0.contains("auth.unauthenticated") && $0.contains("/console/departments") }
            #expect(unboundRefusals.count == 2, "\(unboundRefusals)")
            #expect(unboundRefusals.allSatisfy { $0.contains("\"actor\":\"msa\"") }, "\(unboundRefusals)")
        } catch {
            for client in clients { try? await client.shutdown() }
            await daemon.tearDown()
            throw error
        }
        for client in clients { try? await client.shutdown() }
        await daemon.tearDown()
    }

    /// Signs in to the console with the client's certificate; returns the session cookie's value.
    static func signIn(_ client: HTTPClient, _ daemon: DaemonHarness) async throws -> String {
        let page = try await get(client, daemon, "/console/signin", session: nil)
        let token = try #require(cookie(page.headers, "exchange_console_signin"), "no sign-in cookie: \(page.headers)")
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(daemon.port)/console/signin")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "cookie", value: "exchange_console_signin=\(token)")
        request.body = .bytes(ByteBuffer(string: "csrf=\(token)&method=certificate"))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .seeOther && response.headers.first(name: "location") == "/console/departments", "\(response.status)")
        return try #require(cookie(response.headers, "exchange_console"), "no session cookie: \(response.headers)")
    }

    static func get(_ client: HTTPClient, _ daemon: DaemonHarness, _ path: String, session: String?) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(daemon.port)\(path)")
        if let session { request.headers.add(name: "cookie", value: "exchange_console=\(session)") }
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 16 << 20)
        return response
    }

    static func cookie(_ headers: HTTPHeaders, _ name: String) -> String? {
        for value in headers["set-cookie"] where value.hasPrefix(name + "=") {
            let cookie = value.dropFirst(name.count + 1).prefix { $0 != ";" }
            if !cookie.isEmpty { return String(cookie) }
        }
        return nil
    }
}
