import AsyncHTTPClient
import ExchangeAudit
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

/// A real `exchanged` process on 127.0.0.1 with a configuration, agreements and PKI generated
/// for the test, and HTTPS clients for its departments.
///
/// Departments: `msa` publishes `licence.business.issued` (owner) to `tax` (all fields) and
/// `portal` (licence number and holder name only); `court` has no agreement. The bearer token
/// ``auditorToken`` has the auditor role; checkpoints of the audit log are signed with a key
/// generated for the test (``auditVerifierKey``) every 5 entries or 200 ms unless the test
/// asks for other figures.
final class DaemonHarness: Sendable {
    /// The secret of the `auditor-1` token.
    let auditorToken: String
    /// The C2SP verifier key of the daemon's checkpoint signing key.
    let auditVerifierKey: String
    let directory: String
    private let clients = Mutex<[String: HTTPClient]>([:])
    private let state = Mutex<(process: Process?, output: DaemonOutput?, port: Int)>((nil, nil, 0))

    static let departments = ["msa", "tax", "portal", "court"]

    /// Writes the test's configuration; `checkpointEveryEntries` and `checkpointInterval` are
    /// `audit.checkpoint_every_entries` and `audit.checkpoint_interval`; `auditSettings` are more
    /// lines of the `audit` section (e.g. `anonymous_refusals:` with its keys), indented two
    /// spaces; `server` adds keys of the `server` section, e.g. `["max_connections": "50", "idle_timeout": "1s"]`;
    /// `logFormat` is `log.format` (unset: the default, text); `retention` is the `retention`
    /// of topic `licence.business.issued` (e.g. `{max_events: 2}`), removed every 100 ms; `store`
    /// sets keys of the `store` section (`directory` is `data`, `initial_map_size` `16MiB` unless
    /// given); `sections` are more top-level sections, e.g. `"bulk_reads:\n  max_concurrent: 3\n"`;
    /// `archive` gives that topic `archive: true` and, unless `archiveDirectory` is `nil`,
    /// `retention.archive_directory` (relative to the configuration's directory).
    init(
        checkpointEveryEntries: Int = 5, checkpointInterval: String = "200ms", auditSettings: String = "",
        server serverKeys: [String: String] = [:], store storeKeys: [String: String] = [:], logFormat: String? = nil,
        retention: String? = nil, sections: String = "", archive: Bool = false, archiveDirectory: String? = "archive"
    ) throws {
        directory = NSTemporaryDirectory() + "exchange-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/agreements", withIntermediateDirectories: true)
        let auditKey = try SigningKey.generate()
        try auditKey.writePEM(toFile: directory + "/audit.key")
        auditVerifierKey = try NoteVerifier(name: "exchange.test/audit", publicKey: auditKey.publicKey).verifierKey
        var tokens = TokenFile()
        auditorToken = try tokens.create(name: "auditor-1", role: .auditor)
        try tokens.save(path: directory + "/tokens.json")
        let pki = try DevelopmentPKI(commonName: "End-to-end Test CA", validityDays: 1)
        try write("ca.crt", try pki.authority.certificatePEM())
        let server = try pki.issueServerCertificate()
        try write("server.crt", try server.certificatePEM())
        try write("server.key", server.privateKeyPEM)
        var departments = "departments:\n"
        for id in Self.departments {
            departments += "  - id: \(id)\n    name: \(id)\n    certificate:\n      subject_cn: \(id).test\n"
            let client = try pki.issueClientCertificate(commonName: "\(id).test")
            try write("clients/\(id).crt", try client.certificatePEM())
            try write("clients/\(id).key", client.privateKeyPEM)
        }
        try write("departments.yaml", departments)
        try write(
            "topics.yaml",
            """
            registries:
              - name: licences
                holder: /holder/credit_code
            topics:
              - name: licence.business.issued
                owner: msa
                key: /licence_no
                registry: licences
                schema:
                  type: object
                  required: [licence_no]
                  properties:
                    issued_on: {type: string, format: date}
            \(retention.map { "    retention: \($0)" } ?? "")
            \(archive ? "    archive: true" : "")
              - name: licence.business.revoked
                owner: msa
                key: /licence_no
                registry: licences
              - name: case.outcome.closed
                owner: court
                key: /case_no

            """)
        try write(
            "agreements/msa-tax.yaml",
            """
            id: msa-tax
            version: 1
            title: Business licences for tax registration
            provider: msa
            consumers: [tax]
            topics: [licence.business.>]
            purpose: tax registration
            legal_basis: test
            valid_from: 2020-01-01
            status: active

            """)
        try write(
            "agreements/msa-portal.yaml",
            """
            id: msa-portal
            version: 1
            title: Business licences for the portal
            provider: msa
            consumers: [portal]
            topics: [licence.business.issued]
            fields: [/licence_no, /holder/name]
            purpose: portal lookups
            legal_basis: test
            valid_from: 2020-01-01
            status: active

            """)
        try write(
            "exchange.yaml",
            """
            store:
            \(Self.storeSection(storeKeys))server:
              host: 127.0.0.1
              port: 0
              tls:
                certificate: server.crt
                private_key: server.key
                client_ca: ca.crt
              tokens_file: tokens.json
            \(serverKeys.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined())audit:
              origin: exchange.test/audit
              signing_key: audit.key
              checkpoint_every_entries: \(checkpointEveryEntries)
              checkpoint_interval: \(checkpointInterval)
            \(auditSettings)
            \(sections)
            \(retention == nil ? "" : "retention:\n  interval: 100ms\n  flush_interval: 0s\n")\(archive ? archiveDirectory.map { "  archive_directory: \($0)\n" } ?? "" : "")log:
              level: info
            \(logFormat.map { "  format: \($0)\n" } ?? "")
            """)
    }

    /// The `store` section's keys, indented two spaces, one a line.
    private static func storeSection(_ keys: [String: String]) -> String {
        let all = ["directory": "data", "initial_map_size": "16MiB"].merging(keys) { _, given in given }
        return all.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)\n" }.joined()
    }

    /// Rewrites the `store` section of `exchange.yaml` with `keys` (as ``init`` does) and sends
    /// the daemon SIGHUP, which applies the store's map limits.
    func reloadStore(_ keys: [String: String]) throws {
        let path = directory + "/exchange.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let start = text.range(of: "store:\n"), let end = text.range(of: "server:", range: start.upperBound..<text.endIndex) else {
            throw HarnessError("exchange.yaml has no store section before server")
        }
        try (text[..<start.upperBound] + Self.storeSection(keys) + text[end.lowerBound...]).write(toFile: path, atomically: true, encoding: .utf8)
        guard let process = state.withLock({ $0.process }) else { throw HarnessError("the daemon is not running") }
        kill(process.processIdentifier, SIGHUP)
    }

    private func write(_ name: String, _ text: String) throws {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    var port: Int { state.withLock { $0.port } }
    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Starts the daemon (with `arguments` after `--config`) and waits until it listens.
    func start(_ arguments: [String] = []) async throws {
        let process = Process()
        process.executableURL = try BuiltExecutable.locate("exchanged")
        process.arguments = ["--config", directory + "/exchange.yaml"] + arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let output = DaemonOutput(pipe.fileHandleForReading)
        try process.run()
        state.withLock { $0.process = process; $0.output = output }
        guard let ready = await output.waitFor("exchange ready", seconds: 60) else {
            throw HarnessError("the daemon did not become ready: \(output.all.suffix(20).joined(separator: "\n"))")
        }
        // A text line holds `address=[IPv4]127.0.0.1/127.0.0.1:PORT`; a JSON line the same in metadata.address.
        let jsonAddress = ((try? JSONSerialization.jsonObject(with: Data(ready.utf8))) as? [String: Any])
            .flatMap { $0["metadata"] as? [String: Any] }?["address"] as? String
        guard let address = jsonAddress.map { Substring($0) } ?? ready.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
            let port = Int(address.split(separator: ":").last ?? "")
        else { throw HarnessError("no address in \(ready)") }
        state.withLock { $0.port = port }
    }

    /// Sends `signal` (e.g. SIGHUP) to the daemon.
    func send(_ signal: Int32) {
        guard let process = state.withLock({ $0.process }) else { return }
        kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM and waits for a clean exit.
    func stop() async throws -> Int32 {
        guard let process = state.withLock({ $0.process }) else { return 0 }
        kill(process.processIdentifier, SIGTERM)
        try await waitForExit(process, seconds: 30)
        state.withLock { $0.process = nil }
        return process.terminationStatus
    }

    /// Sends `number` (e.g. SIGHUP) to the running daemon.
    func signal(_ number: Int32) {
        guard let process = state.withLock({ $0.process }), process.isRunning else { return }
        kill(process.processIdentifier, number)
    }

    /// Kills the daemon with SIGKILL: no shutdown work at all.
    func crash() async throws {
        guard let process = state.withLock({ $0.process }) else { return }
        kill(process.processIdentifier, SIGKILL)
        try await waitForExit(process, seconds: 30)
        state.withLock { $0.process = nil }
    }

    private func waitForExit(_ process: Process, seconds: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw HarnessError("the daemon did not stop within \(seconds) s")
        }
    }

    /// Runs `body`, then tears the harness down, also when `body` throws (and then rethrows):
    /// every test's daemon is stopped and its files removed however the test ends.
    func use(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await tearDown()
            throw error
        }
        await tearDown()
    }

    /// Stops everything this harness started and removes its files.
    func tearDown() async {
        if let process = state.withLock({ $0.process }), process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        for client in clients.withLock({ Array($0.values) }) {
            try? await client.shutdown()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The daemon's log lines so far.
    var log: [String] { state.withLock { $0.output?.all ?? [] } }

    /// Waits, at most `seconds`, for a line of the running daemon's output containing `text`;
    /// returns the last such line, or `nil`.
    func waitForLog(_ text: String, seconds: Double) async -> String? {
        guard let output = state.withLock({ $0.output }) else { return nil }
        return await output.waitFor(text, seconds: seconds)
    }

    /// The TCP connections to and from the daemon's port with their queues (`ss`): bytes one
    /// side sent and the other has not read show which side a stalled exchange waits on.
    func connections() -> String {
        let ss = ["/usr/bin/ss", "/bin/ss"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let ss else { return "(no ss for the daemon's connections)" }
        let output = runTool(ss, ["-tnoi", "state", "all", "( sport = :\(port) or dport = :\(port) )"], seconds: 10, into: "ss.txt")
        return "the daemon's connections:\n" + output
    }

    /// The running daemon's thread stacks, from gdb when it is installed (at most 30 s): what a
    /// stalled exchange was waiting for. A note saying why there are none otherwise.
    func threadStacks() -> String {
        guard let process = state.withLock({ $0.process }), process.isRunning else { return "(the daemon is not running)" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else { return "(no gdb for the daemon's stacks)" }
        let text = runTool(
            "/usr/bin/gdb", ["-p", "\(process.processIdentifier)", "-batch", "-nx", "-ex", "thread apply all bt 25"], seconds: 30,
            into: "gdb-stacks.txt")
        return "the daemon's threads:\n" + text.split(separator: "\n").filter { $0.hasPrefix("#") || $0.hasPrefix("Thread") }.joined(separator: "\n")
    }

    /// Runs the diagnostic tool at `path` for at most `seconds` and returns its standard output,
    /// or why there is none. The output goes to the file `name` in the harness's directory, not
    /// a pipe: the tool must never block on a full pipe while this waits for it.
    private func runTool(_ path: String, _ arguments: [String], seconds: Double, into name: String) -> String {
        let file = directory + "/" + name
        guard FileManager.default.createFile(atPath: file, contents: nil), let output = FileHandle(forWritingAtPath: file) else {
            return "(no file for the output of \(path))"
        }
        defer { try? output.close() }
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: path)
        tool.arguments = arguments
        tool.standardOutput = output
        tool.standardError = FileHandle.nullDevice
        do { try tool.run() } catch { return "(\(path) did not start: \(error))" }
        let deadline = Date().addingTimeInterval(seconds)
        while tool.isRunning && Date() < deadline { usleep(20_000) }
        if tool.isRunning { kill(tool.processIdentifier, SIGKILL) }
        return (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    }

    /// Runs `body`, or fails after `seconds` with `what` (read then, so it can tell how far the
    /// body got) and the daemon's last log lines: an exchange that stalls names itself instead
    /// of running into the test's time limit.
    @discardableResult
    func within<Value: Sendable>(
        _ seconds: Int, _ what: @escaping @Sendable () -> String, _ body: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            guard let finished = try await group.next(), let value = finished else {
                throw HarnessError(
                    "\(what()) within \(seconds) s; the daemon's log ends:\n\(log.suffix(30).joined(separator: "\n"))"
                        + "\n\(connections())\n\(threadStacks())")
            }
            return value
        }
    }

    /// An HTTPS client presenting `department`'s certificate, or none for `nil`.
    func client(_ department: String?) throws -> HTTPClient {
        let key = department ?? ""
        let configuration = try tls(department)
        // Created under the lock: two tasks asking at once must get the same client, or the
        // other would be dropped without shutdown.
        return clients.withLock { clients in
            if let existing = clients[key] { return existing }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: configuration))
            clients[key] = client
            return client
        }
    }

    /// TLS settings trusting the test CA and presenting `department`'s certificate, if any.
    func tls(_ department: String?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(directory + "/ca.crt"))
        tls.certificateVerification = .noHostnameVerification
        if let department {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(directory + "/clients/\(department).crt").map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: directory + "/clients/\(department).key", format: .pem))
        }
        return tls
    }

    struct Reply {
        let status: Int
        let contentType: String?
        let body: [UInt8]
        /// The `Allow` header, when the reply has one.
        var allow: String? = nil
        /// The answer's `X-Request-Id`.
        var requestID: String? = nil
        /// The `Retry-After` header, when the reply has one.
        var retryAfter: String? = nil

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
        var object: [String: Any] { (json as? [String: Any]) ?? [:] }
        var array: [[String: Any]] { (json as? [[String: Any]]) ?? [] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// One request as `department`.
    func request(
        _ department: String?, _ method: HTTPMethod, _ path: String, contentType: String? = nil, body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(30), headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response = try await client(department).execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type"), body: Array(buffer: bytes),
            allow: response.headers.first(name: "allow"), requestID: response.headers.first(name: "x-request-id"),
            retryAfter: response.headers.first(name: "retry-after"))
    }

    func json(_ department: String?, _ method: HTTPMethod, _ path: String, _ value: Any) async throws -> Reply {
        try await request(department, method, path, contentType: "application/json", body: Array(try JSONSerialization.data(withJSONObject: value)))
    }

    /// Publishes one structured event as `department` to `topic`. Keys are written sorted, so
    /// that publishing equal values again sends the same data bytes: a repeat whose data bytes
    /// differ is refused (`publish.id_conflict`), and a dictionary's order varies between
    /// instances.
    func publish(_ department: String, topic: String = "licence.business.issued", id: String, data: [String: Any]) async throws -> Reply {
        let event: [String: Any] = ["specversion": "1.0", "id": id, "type": "licence.issued", "subject": id, "data": data]
        return try await request(
            department, .POST, "/v1/topics/\(topic)/events", contentType: "application/cloudevents+json",
            body: Array(try JSONSerialization.data(withJSONObject: event, options: .sortedKeys)))
    }

}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The daemon's standard error, read line by line on a background thread.
final class DaemonOutput: Sendable {
    private let lines = Shared<[String]>([])

    init(_ handle: FileHandle) {
        let lines = self.lines
        Thread.detachNewThread {
            readLines(from: handle.fileDescriptor) { line in lines.withLock { $0.append(line) } }
        }
    }

    var all: [String] { lines.withLock { $0 } }

    func waitFor(_ text: String, seconds: Double) async -> String? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let line = lines.withLock({ $0.last { $0.contains(text) } }) { return line }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// Shared mutable test state for concurrent tasks.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        value.withLock { body(&$0) }
    }
}

