import AsyncHTTPClient
import ExchangeServer
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif
import ExchangeIdentity

/// Runs the real `exchanged` binary on 127.0.0.1 with a generated configuration and PKI.
@Suite("exchanged end to end")
struct DaemonTests {
    /// The daemon's standard error, collected line by line.
    final class Output: Sendable {
        let lines = Mutex<[String]>([])

        func waitFor(_ text: String, seconds: Double) async -> String? {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if let line = lines.withLock({ $0.first { $0.contains(text) } }) { return line }
                try? await Task.sleep(for: .milliseconds(50))
            }
            return nil
        }
    }

    @Test func servesHTTPSAndStopsOnSIGTERM() async throws {
        let daemon = try BuiltExecutable.locate("exchanged")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try DevelopmentPKI(commonName: "Daemon Test CA", validityDays: 1)
        let server = try ca.issueServerCertificate()
        let client = try ca.issueClientCertificate(commonName: "tax-bureau")
        _ = try directory.write("ca.crt", try ca.authority.certificatePEM())
        _ = try directory.write("server.crt", try server.certificatePEM())
        _ = try directory.write("server.key", server.privateKeyPEM)
        _ = try directory.write(
            "departments.yaml", "departments:\n  - id: tax-bureau\n    name: Tax\n    certificate:\n      subject_cn: tax-bureau\n")
        _ = try directory.write(
            "topics.yaml", "topics:\n  - name: tax.return.filed\n    owner: tax-bureau\n    key: /id\n")
        let config = try directory.write(
            "exchange.yaml",
            """
            store:
              directory: data
              initial_map_size: 1MiB
            server:
              host: 127.0.0.1
              port: 0
              tls:
                certificate: server.crt
                private_key: server.key
                client_ca: ca.crt
            log:
              level: info
            """)

        let process = Process()
        process.executableURL = daemon
        process.arguments = ["--config", config]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let output = Output()
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
            readLines(from: handle.fileDescriptor) { line in output.lines.withLock { $0.append(line) } }
        }

        let ready = try #require(await output.waitFor("exchange ready", seconds: 30), "\(output.lines.withLock { $0 })")
        #expect(ready.contains("departments=1"))
        let portText = try #require(ready.split(separator: " ").first { $0.hasPrefix("address=") }?.split(separator: ":").last)
        let port = try #require(Int(portText))

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(try ca.authority.certificatePEM().utf8)))
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(try client.certificatePEM().utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(client.privateKeyPEM.utf8), format: .pem))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            let health = try await http.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/healthz"), timeout: .seconds(10))
            #expect(health.status.code == 200)
            let missing = try await http.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/nothing"), timeout: .seconds(10))
            #expect(missing.status.code == 404)
            #expect(missing.headers.first(name: "content-type") == "application/problem+json")
            let metrics = try await http.execute(HTTPClientRequest(url: "https://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
            let text = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
            #expect(text.contains("exchange_store_map_size_bytes 1048576"))
            #expect(text.contains(#"exchange_writer_seconds_total{phase="committing"}"#), "the writer's busy time is exported")
            #expect(text.contains("exchange_writer_cpu_seconds_total"), "the writer's CPU time is exported")
            #expect(text.contains("exchange_dedup_merges_total"), "deduplication merges are exported")
            #expect(text.contains("exchange_dedup_merge_seconds_total"), "the time merges held the writer is exported")
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()

        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        let stopped = await output.waitFor("stopped", seconds: 5)
        #expect(stopped != nil)
        let lines = output.lines.withLock { $0 }
        let closing = lines.firstIndex { $0.contains("closing the store") }
        let closed = lines.firstIndex { $0.contains("store closed") }
        #expect(closing != nil && closed != nil && closing! < closed!, "\(lines)")
    }
}
