import ExchangeIdentity
import ExchangeStore
import Foundation
import NIOHTTP1
import NIOSSL
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A department certificate listed in `server.tls.revoked_certificates` is refused on every
/// request once the list is reloaded (SIGHUP), on open connections too, with
/// `auth.certificate_revoked`, logged and audited under its department; other departments carry on.
@Suite(.serialized) struct CertificateRevocationEndToEndTests {
    @Test func aRevokedDepartmentCertificateIsRefusedAfterAReload() async throws {
        let harness = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let directory = harness.directory
        let configPath = directory + "/exchange.yaml"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "    client_ca: ca.crt\n", with: "    client_ca: ca.crt\n    revoked_certificates: revoked.txt\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        try "# revoked department certificates\n".write(toFile: directory + "/revoked.txt", atomically: true, encoding: .utf8)
        let der = try NIOSSLCertificate.fromPEMFile(directory + "/clients/msa.crt")[0].toDERBytes()
        let fingerprint = try PeerCertificate(derEncoded: der).sha256Fingerprint
        // As `openssl x509 -fingerprint -sha256` prints it.
        let printed = stride(from: 0, to: 64, by: 2).map { index -> String in
            let start = fingerprint.index(fingerprint.startIndex, offsetBy: index)
            return fingerprint[start..<fingerprint.index(start, offsetBy: 2)].uppercased()
        }.joined(separator: ":")

        try await harness.start()
        try await harness.use {
            #expect(try await harness.publish("msa", id: "R-0", data: ["licence_no": "R-0"]).status == 200)

            try "# msa, key lost\nsha256 Fingerprint=\(printed)  # 2026-12-07\n".write(
                toFile: directory + "/revoked.txt", atomically: true, encoding: .utf8)
            harness.signal(SIGHUP)
            let reloaded = try #require(await harness.waitForLog("TLS files reloaded", seconds: 30), "\(harness.log.suffix(10))")
            #expect(reloaded.contains("revoked_certificates=1"), "\(reloaded)")

            // The same client, its pooled connection included, is refused now.
            let refused = try await harness.publish("msa", id: "R-1", data: ["licence_no": "R-1"])
            #expect(refused.status == 401)
            #expect(refused.object["code"] as? String == "auth.certificate_revoked", "\(refused.text)")
            #expect((refused.object["detail"] as? String)?.contains(fingerprint) == true, "\(refused.text)")
            let logged = try #require(await harness.waitForLog("auth.certificate_revoked", seconds: 10), "\(harness.log.suffix(10))")
            #expect(logged.contains("actor=msa"), "\(logged)")
            // Another department is not affected.
            #expect(try await harness.request("tax", .GET, "/v1/subscriptions/none").status == 404)

            // A bad list keeps the one in force.
            try "not a fingerprint\n".write(toFile: directory + "/revoked.txt", atomically: true, encoding: .utf8)
            harness.signal(SIGHUP)
            let failed = try #require(await harness.waitForLog("TLS files not reloaded", seconds: 30), "\(harness.log.suffix(10))")
            #expect(failed.contains("server.tls.revoked_certificates"), "\(failed)")
            #expect(try await harness.publish("msa", id: "R-2", data: ["licence_no": "R-2"]).status == 401)
            #expect(try await harness.stop() == 0)

            let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory + "/data", initialMapSize: 16 << 20))
            defer { store.close() }
            let entries = try store.auditEntries(from: 0, limit: 10_000).map { String(decoding: $0, as: UTF8.self) }
            let denials = entries.filter { $0.contains("\"code\":\"auth.certificate_revoked\"") }
            #expect(denials.count == 2, "each refusal written at once: \(denials)")
            #expect(denials.allSatisfy { $0.contains("\"kind\":\"access_denied\"") && $0.contains("\"actor\":\"msa\"") }, "\(denials)")
            #expect(!entries.contains { $0.contains("\"id\":\"R-1\"") || $0.contains("R-1\",\"sequence\"") }, "nothing of R-1 published")
        }
    }
}
