import Foundation
import LMDB
import NIOHTTP1
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The licence registry against the real daemon: publish, look up through agreements over mutual
/// TLS, then the offline rebuild on the stopped daemon's data directory.
@Suite("registry end to end", .serialized)
struct RegistryEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func lookUpThroughAgreementsThenRebuildOffline() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            for number in ["L-1", "L-2"] {
                let reply = try await daemon.publish(
                    "msa", id: number, data: ["licence_no": number, "holder": ["name": "Acme", "credit_code": "9131"], "capital": 5])
                #expect(reply.status == 200, "\(reply.text)")
            }
            let revoke = try await daemon.request(
                "msa", .POST, "/v1/topics/licence.business.revoked/events", contentType: "application/cloudevents+json",
                body: Array(#"{"specversion":"1.0","id":"r-1","type":"licence.revoked","subject":"L-2","data":{"licence_no":"L-2"}}"#.utf8))
            #expect(revoke.status == 200, "\(revoke.text)")

            // The portal's agreement shares the licence number and holder name only.
            let portal = try await daemon.request("portal", .GET, "/v1/registry/licences/L-2?history=true")
            #expect(portal.status == 200, "\(portal.text)")
            #expect(portal.object["status"] as? String == "revoked")
            #expect(portal.object["agreement"] as? String == "msa-portal")
            let data = try #require(portal.object["data"] as? [String: Any])
            #expect(Set(data.keys) == ["licence_no", "holder"])
            #expect(portal.object["holder"] == nil)  // the credit code is not shared with the portal
            #expect((portal.object["history"] as? [[String: Any]])?.count == 2)

            let tax = try await daemon.request("tax", .GET, "/v1/registry/licences?holder=9131")
            #expect(tax.status == 200, "\(tax.text)")
            #expect((tax.object["items"] as? [[String: Any]])?.map { $0["key"] as? String } == ["L-1", "L-2"])
            // The portal cannot search by a field it does not see.
            let hidden = try await daemon.request("portal", .GET, "/v1/registry/licences?holder=9131")
            #expect(hidden.object["count"] as? Int == 0)

            let court = try await daemon.request("court", .GET, "/v1/registry/licences/L-1")
            #expect(court.status == 403)
            #expect(court.contentType == "application/problem+json")
            #expect(court.object["code"] as? String == "registry.not_entitled")
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")

            let rebuild = try await ExecutableRun.of("exchangectl", ["registry", "rebuild", "--config", daemon.directory + "/exchange.yaml"])
            #expect(rebuild.status == 0, "\(rebuild.text)")
            #expect(rebuild.text.contains("collection      licences: 2 entries"), "\(rebuild.text)")
            #expect(rebuild.text.contains("the stored registry matches the log"), "\(rebuild.text)")

            // A rewrite stopped midway leaves its marker: the daemon refuses the incomplete
            // registry until a rewrite completes.
            let environment = try Environment(path: daemon.directory + "/data", configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            let meta = try environment.write { txn in try txn.openDatabase("meta") }
            try environment.write { txn in try txn.put(meta, key: Array("registry_rebuild_pending".utf8), value: [1]) }
            environment.close()
            let refused = try await ExecutableRun.of("exchanged", ["--config", daemon.directory + "/exchange.yaml"], seconds: 30)
            #expect(refused.status != 0)
            #expect(refused.text.contains("registry rebuild --write"), "\(refused.text)")
            let rewrite = try await ExecutableRun.of("exchangectl", ["registry", "rebuild", "--write", "--config", daemon.directory + "/exchange.yaml"])
            #expect(rewrite.status == 0, "\(rewrite.text)")
            #expect(rewrite.text.contains("the stored registry matches the log"), "\(rewrite.text)")
            try await daemon.start()
            #expect(try await daemon.stop() == 0)
        }
    }
}
