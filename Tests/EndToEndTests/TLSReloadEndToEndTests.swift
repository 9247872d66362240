import AsyncHTTPClient
import ExchangeIdentity
import ExchangeStore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP re-reads the server certificate, its key and the client CA bundle: new connections
/// get the new ones, open connections carry on, and a bad file keeps the old ones; each reload
/// is logged and audited (`tls_reloaded`).
@Suite(.serialized) struct TLSReloadEndToEndTests {
    static func fingerprint(_ der: [UInt8]) throws -> String {
        try PeerCertificate(derEncoded: der).sha256Fingerprint
    }

    /// The server certificate a new connection is shown, trusting `roots`.
    static func serverCertificate(_ harness: DaemonHarness, roots: [NIOSSLCertificate]) async throws -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        tls.certificateVerification = .noHostnameVerification
        let connection = try await RawConnection.open(port: harness.port, tls: tls)
        defer { connection.close() }
        try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(await connection.waitFor("HTTP/1.1 200", seconds: 10))
        return try Self.fingerprint(try #require(try await connection.peerCertificateDER()))
    }

    @Test func sighupSwapsTheServerCertificateAndClientCAForNewConnectionsOnly() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let directory = harness.directory
        let oldCA = try NIOSSLCertificate.fromPEMFile(directory + "/ca.crt")
        let oldServer = try Self.fingerprint(try NIOSSLCertificate.fromPEMFile(directory + "/server.crt")[0].toDERBytes())
        // A second CA: the new server certificate and a new certificate for msa come from it.
        let newPKI = try DevelopmentPKI(commonName: "End-to-end Test CA 2", validityDays: 1)
        let newServer = try newPKI.issueServerCertificate()
        let newMSA = try newPKI.issueClientCertificate(commonName: "msa.test")
        let newCAPEM = try newPKI.authority.certificatePEM()
        let bothCAs = oldCA + (try NIOSSLCertificate.fromPEMBytes(Array(newCAPEM.utf8)))
        try await harness.start()
        try await harness.use {
            let open = try await RawConnection.open(port: harness.port, tls: {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates(bothCAs)
                tls.certificateVerification = .noHostnameVerification
                return tls
            }())
            defer { open.close() }
            #expect(await open.waitForHandshake(seconds: 10))
            #expect(try Self.fingerprint(try #require(try await open.peerCertificateDER())) == oldServer)

            // The files replaced, no signal yet: nothing changes.
            let oldCAPEM = try String(contentsOfFile: directory + "/ca.crt", encoding: .utf8)
            try (oldCAPEM + newCAPEM).write(toFile: directory + "/ca.crt", atomically: true, encoding: .utf8)
            try newServer.certificatePEM().write(toFile: directory + "/server.crt", atomically: true, encoding: .utf8)
            try newServer.privateKeyPEM.write(toFile: directory + "/server.key", atomically: true, encoding: .utf8)
            try newMSA.certificatePEM().write(toFile: directory + "/clients/msa-new.crt", atomically: true, encoding: .utf8)
            try newMSA.privateKeyPEM.write(toFile: directory + "/clients/msa-new.key", atomically: true, encoding: .utf8)
            #expect(try await Self.serverCertificate(harness, roots: bothCAs) == oldServer)
            await #expect(throws: (any Error).self, "a certificate of the new CA before the reload") {
                _ = try await harness.publish("msa-new", id: "N-0", data: ["licence_no": "N-0"])
            }

            harness.signal(SIGHUP)
            _ = try #require(await harness.waitForLog("TLS files reloaded", seconds: 30), "\(harness.log.suffix(10))")
            let newFingerprint = try Self.fingerprint(try newServer.certificateDER())
            #expect(try await Self.serverCertificate(harness, roots: bothCAs) == newFingerprint)
            // The new client CA: msa's certificate of the new CA is accepted; the old one still is.
            #expect(try await harness.publish("msa-new", id: "N-1", data: ["licence_no": "N-1"]).status == 200)
            #expect(try await harness.publish("msa", id: "N-2", data: ["licence_no": "N-2"]).status == 200)
            // The connection opened before the reload carries on with the old certificate.
            try await open.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await open.waitFor("HTTP/1.1 200", seconds: 10))
            #expect(open.closedAt == nil)

            // A bad key file: the reload fails, logged, and the certificate in force stays.
            try "not a key\n".write(toFile: directory + "/server.key", atomically: true, encoding: .utf8)
            harness.signal(SIGHUP)
            let failure = try #require(await harness.waitForLog("TLS files not reloaded", seconds: 30), "\(harness.log.suffix(10))")
            #expect(failure.contains("server.tls.private_key"), "\(failure)")
            #expect(try await Self.serverCertificate(harness, roots: bothCAs) == newFingerprint)
            #expect(try await harness.publish("msa-new", id: "N-3", data: ["licence_no": "N-3"]).status == 200)
            #expect(try await harness.stop() == 0)

            // Both reloads are in the audit log.
            let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory + "/data", initialMapSize: 16 << 20))
            defer { store.close() }
            let entries = try store.auditEntries(from: 0, limit: 10_000).map { String(decoding: $0, as: UTF8.self) }
            let reloads = entries.filter { $0.contains("\"kind\":\"tls_reloaded\"") }
            #expect(reloads.count == 2, "\(reloads)")
            #expect(reloads.first?.contains("\"applied\":true") == true)
            #expect(reloads.first?.contains(newFingerprint) == true)
            #expect(reloads.last?.contains("\"applied\":false") == true)
            #expect(reloads.last?.contains("\"actor\":\"signal\"") == true)
            #expect(reloads.last?.contains("server.tls.private_key") == true)
        }
    }

    /// `POST /v1/admin/reload` as an admin re-reads the TLS files too and answers what it did.
    /// The smallest value of `exchange_certificate_expiry_days{certificate="server",...}` (the
    /// chain's certificates, the leaf and its issuer) in a `/metrics` answer.
    static func serverExpiryDays(_ metrics: String) -> Double? {
        metrics.split(separator: "\n")
            .filter { $0.hasPrefix("exchange_certificate_expiry_days{certificate=\"server\"") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .min()
    }

    static func adminReload(_ harness: DaemonHarness, token: String) async throws -> (status: Int, tls: [String: Any]) {
        var request = HTTPClientRequest(url: harness.baseURL + "/v1/admin/reload")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(token)")
        let response = try await harness.client(nil).execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let body = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: bytes)))) as? [String: Any] ?? [:]
        return (Int(response.status.code), body["tls"] as? [String: Any] ?? [:])
    }

    @Test func theAdminReloadEndpointSwapsTheServerCertificateAndReportsIt() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let directory = harness.directory
        var tokens = try TokenFile.load(path: directory + "/tokens.json")
        let admin = try tokens.create(name: "admin-1", role: .admin)
        try tokens.save(path: directory + "/tokens.json")
        let roots = try NIOSSLCertificate.fromPEMFile(directory + "/ca.crt")
        let oldServer = try Self.fingerprint(try NIOSSLCertificate.fromPEMFile(directory + "/server.crt")[0].toDERBytes())
        // The new server certificate from a second CA, valid for 3 days where the first is for 1.
        let newPKI = try DevelopmentPKI(commonName: "End-to-end Test CA 3", validityDays: 3)
        let newServer = try newPKI.issueServerCertificate()
        let bothRoots = roots + (try NIOSSLCertificate.fromPEMBytes(Array(try newPKI.authority.certificatePEM().utf8)))
        try await harness.start()
        try await harness.use {
            let before = try #require(Self.serverExpiryDays(try await harness.request(nil, .GET, "/metrics").text))
            #expect(before > 0.5 && before < 1.5, "\(before)")
            let unchanged = try await Self.adminReload(harness, token: admin)
            #expect(unchanged.status == 200)
            #expect(unchanged.tls["applied"] as? Bool == true)
            #expect(unchanged.tls["certificate_sha256"] as? String == oldServer)

            try newServer.certificatePEM().write(toFile: directory + "/server.crt", atomically: true, encoding: .utf8)
            try newServer.privateKeyPEM.write(toFile: directory + "/server.key", atomically: true, encoding: .utf8)
            let swapped = try await Self.adminReload(harness, token: admin)
            let newFingerprint = try Self.fingerprint(try newServer.certificateDER())
            #expect(swapped.status == 200)
            #expect(swapped.tls["certificate_sha256"] as? String == newFingerprint)
            #expect(try await Self.serverCertificate(harness, roots: bothRoots) == newFingerprint)
            // The expiry metric follows the certificate in force.
            let days = try #require(Self.serverExpiryDays(try await harness.request(nil, .GET, "/metrics").text))
            #expect(days > 2.5 && days < 3.5, "\(days)")

            // A certificate whose key is not the one configured: refused, 422, the old pair stays.
            try newPKI.issueServerCertificate().certificatePEM().write(toFile: directory + "/server.crt", atomically: true, encoding: .utf8)
            let refused = try await Self.adminReload(harness, token: admin)
            #expect(refused.status == 422)
            #expect(refused.tls["applied"] as? Bool == false)
            #expect((refused.tls["error"] as? String)?.contains("server.tls.private_key") == true, "\(refused.tls)")
            #expect(refused.tls["certificate_sha256"] as? String == newFingerprint)
            #expect(try await Self.serverCertificate(harness, roots: bothRoots) == newFingerprint)
            #expect(try await harness.stop() == 0)
        }
    }
}
