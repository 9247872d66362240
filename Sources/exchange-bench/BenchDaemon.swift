import Foundation
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#endif
import ExchangeIdentity

/// Where the end-to-end modes send their load, with the TLS identities to use: either a daemon
/// this process started (and stops), or one given by `--url`.
final class BenchDaemon: Sendable {
    /// The topic the started daemon defines, owned by the publishing department.
    static let topic = "bench.load"

    /// The HTTPS base URL, without a trailing slash.
    let baseURL: String
    /// The WebSocket base URL (`wss://...`).
    let webSocketURL: String
    /// The publishing department.
    let publisher: TLSConfiguration
    /// The consuming department, which receives the topic by agreement.
    let consumer: TLSConfiguration
    /// An auditor's bearer token, when the daemon was started here, and the TLS configuration
    /// without a client certificate that goes with it (a certificate would make the
    /// connection a department's).
    let auditor: (token: String, tls: TLSConfiguration)?
    /// A portal token named after the consumer (so it sees through the consumer's agreements),
    /// when the daemon was started here.
    let portalToken: String?
    /// The started process and its temporary directory, if any.
    private let child: Child?

    struct Child: Sendable {
        let process: Process
        let directory: URL
        let output: Output
    }

    /// The daemon's standard error: the ready line and the last lines, for diagnostics.
    final class Output: Sendable {
        let state = Mutex<(ready: String?, tail: [String])>((nil, []))

        func add(_ line: String) {
            state.withLock {
                if $0.ready == nil, line.contains("exchange ready") { $0.ready = line }
                $0.tail.append(line)
                if $0.tail.count > 40 { $0.tail.removeFirst($0.tail.count - 40) }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private init(
        baseURL: String, publisher: TLSConfiguration, consumer: TLSConfiguration, auditor: (token: String, tls: TLSConfiguration)?,
        portalToken: String? = nil, child: Child?
    ) {
        self.portalToken = portalToken
        self.baseURL = baseURL
        self.webSocketURL = "wss://" + baseURL.dropFirst("https://".count)
        self.publisher = publisher
        self.consumer = consumer
        self.auditor = auditor
        self.child = child
    }

    /// Connects to `--url`, or starts a daemon when it is absent.
    static func make(_ options: EndToEndOptions) async throws -> BenchDaemon {
        if let url = options.url {
            guard url.hasPrefix("https://") else { throw Failure(description: "--url must start with https://") }
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            let ca = try String(contentsOfFile: options.ca, encoding: .utf8)
            let publisher = try clientTLS(ca: ca, certificate: try String(contentsOfFile: options.cert, encoding: .utf8),
                                          key: try String(contentsOfFile: options.key, encoding: .utf8))
            var consumer = publisher
            if let certificate = try? String(contentsOfFile: options.consumerCert, encoding: .utf8),
                let key = try? String(contentsOfFile: options.consumerKey, encoding: .utf8)
            {
                consumer = try clientTLS(ca: ca, certificate: certificate, key: key)
            }
            return BenchDaemon(baseURL: base, publisher: publisher, consumer: consumer, auditor: nil, child: nil)
        }
        return try await start(timeoutSeconds: options.timeout, storeSettings: options.storeSettings)
    }

    /// A client TLS configuration from PEM text.
    static func clientTLS(ca: String, certificate: String, key: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        return tls
    }

    /// The `exchanged` executable in the same build directory as this one.
    static func locateDaemon() throws -> URL {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var candidates = [own.deletingLastPathComponent().appendingPathComponent("exchanged")]
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.insert(URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("exchanged"), at: 0)
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw Failure(description: "exchanged was not found beside exchange-bench (looked in \(candidates.map(\.path))); build both products")
    }

    /// Starts `exchanged` in a new temporary directory with a generated PKI and configuration,
    /// and waits for its ready line. `prepare` runs on the directory (its store is `data/`)
    /// before the daemon starts; `storeSettings` are `key: value` lines added under `store:`.
    static func start(
        timeoutSeconds: Int, storeSettings: [String] = [], prepare: ((URL) async throws -> Void)? = nil
    ) async throws -> BenchDaemon {
        let executable = try locateDaemon()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exchange-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("agreements"), withIntermediateDirectories: true)
        do {
            let pki = try DevelopmentPKI(commonName: "Exchange Bench CA", validityDays: 2)
            let server = try pki.issueServerCertificate()
            let ca = try pki.authority.certificatePEM()
            func write(_ name: String, _ text: String) throws {
                try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try write("ca.crt", ca)
            try write("server.crt", try server.certificatePEM())
            try write("server.key", server.privateKeyPEM)
            try write("departments.yaml", BenchConfiguration.departments)
            try write("topics.yaml", BenchConfiguration.topics)
            try write("agreements/bench.yaml", BenchConfiguration.agreement)
            try write("agreements/bench-licences.yaml", BenchConfiguration.licences)
            try write("exchange.yaml", BenchConfiguration.exchange(storeSettings: storeSettings))
            var tokens = TokenFile()
            let auditorToken = try tokens.create(name: BenchConfiguration.auditor, role: .auditor)
            let portalToken = try tokens.create(name: BenchConfiguration.consumer, role: .portal)
            try tokens.save(path: directory.appendingPathComponent("tokens.json").path)
            func identity(_ name: String) throws -> TLSConfiguration {
                let issued = try pki.issueClientCertificate(commonName: name)
                return try clientTLS(ca: ca, certificate: try issued.certificatePEM(), key: issued.privateKeyPEM)
            }
            let publisher = try identity(BenchConfiguration.publisher)
            let consumer = try identity(BenchConfiguration.consumer)
            var anonymous = TLSConfiguration.makeClientConfiguration()
            anonymous.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
            let auditor = (token: auditorToken, tls: anonymous)
            try await prepare?(directory)

            let process = Process()
            process.executableURL = executable
            process.arguments = ["--config", directory.appendingPathComponent("exchange.yaml").path]
            process.currentDirectoryURL = directory
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            let output = Output()
            try process.run()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                // read(2) with a retry on EINTR: FileHandle.availableData traps when a signal interrupts it.
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    pending.append(contentsOf: buffer[0..<count])
                    while let newline = pending.firstIndex(of: 0x0A) {
                        output.add(String(decoding: pending[..<newline], as: UTF8.self))
                        pending.removeSubrange(...newline)
                    }
                }
            }
            let child = Child(process: process, directory: directory, output: output)
            let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
            while ContinuousClock.now < deadline {
                if let line = output.state.withLock({ $0.ready }) {
                    guard let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                        let port = address.split(separator: ":").last.flatMap({ Int($0) })
                    else {
                        stop(child)
                        throw Failure(description: "no port in the ready line: \(line)")
                    }
                    return BenchDaemon(
                        baseURL: "https://127.0.0.1:\(port)", publisher: publisher, consumer: consumer, auditor: auditor,
                        portalToken: portalToken, child: child)
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let tail = output.state.withLock { $0.tail }
            stop(child)
            throw Failure(description: "exchanged did not become ready:\n" + tail.joined(separator: "\n"))
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Stops the started daemon (SIGTERM to its PID, SIGKILL after 20 s) and removes its
    /// directory; nothing for `--url`.
    /// The started daemon's process id; nil for `--url`.
    var processIdentifier: Int32? { child?.process.processIdentifier }

    func stop() {
        if let child { Self.stop(child) }
    }

    private static func stop(_ child: Child) {
        let process = child.process
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(20)
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: child.directory)
    }

    /// Ends the whole benchmark if it has not finished after `seconds`: stops the started
    /// daemon and exits with status 3, so that no run can hang.
    func armWatchdog(seconds: Int) {
        let child = self.child
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(seconds))
            FileHandle.standardError.write(Data("exchange-bench: gave up after \(seconds) s\n".utf8))
            if let child { Self.stop(child) }
            exit(3)
        }
    }

    /// The store's size on disk while the started daemon runs, bytes.
    var storeBytes: Int? {
        guard let child else { return nil }
        let file = child.directory.appendingPathComponent("data/data.mdb")
        return (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? nil
    }
}
