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
    /// Runs `exchangectl` with `arguments`; returns its exit status and standard output.
    static func exchangectl(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try BuiltExecutable.locate("exchangectl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        var output: [UInt8] = []
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Runs `exchanged` with `arguments`, expecting it to exit by itself within 30 s (it is
    /// killed otherwise); returns its exit status and what it printed.
    static func exchanged(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try BuiltExecutable.locate("exchanged")
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("exchanged-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    @Test(.timeLimit(.minutes(3)))
    func lookUpThroughAgreementsThenRebuildOffline() async throws {
        let daemon = try DaemonHarness()
        do {
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
            #expect(court.object["code"] as? String == "registry.not-entitled")
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")

            let rebuild = try await Self.exchangectl(["registry", "rebuild", "--config", daemon.directory + "/exchange.yaml"])
            #expect(rebuild.status == 0, "\(rebuild.output)")
            #expect(rebuild.output.contains("collection      licences: 2 entries"), "\(rebuild.output)")
            #expect(rebuild.output.contains("the stored registry matches the log"), "\(rebuild.output)")

            // A rewrite stopped midway leaves its marker: the daemon refuses the incomplete
            // registry until a rewrite completes.
            let environment = try Environment(path: daemon.directory + "/data", configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
            let meta = try environment.write { txn in try txn.openDatabase("meta") }
            try environment.write { txn in try txn.put(meta, key: Array("registry_rebuild_pending".utf8), value: [1]) }
            environment.close()
            let refused = try await Self.exchanged(["--config", daemon.directory + "/exchange.yaml"])
            #expect(refused.status != 0)
            #expect(refused.output.contains("registry rebuild --write"), "\(refused.output)")
            let rewrite = try await Self.exchangectl(["registry", "rebuild", "--write", "--config", daemon.directory + "/exchange.yaml"])
            #expect(rewrite.status == 0, "\(rewrite.output)")
            #expect(rewrite.output.contains("the stored registry matches the log"), "\(rewrite.output)")
            try await daemon.start()
            #expect(try await daemon.stop() == 0)
        } catch {
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }
}
