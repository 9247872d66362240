import ExchangeIdentity
import ExchangeStore
import Foundation
import HummingbirdWSClient
import Logging
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A department certificate revoked while its WebSocket stream is open is refused on that stream
/// too: the next frame it sends (a publish, a credit) or the next event due to it is answered by
/// an error frame `auth.certificate_revoked` and the stream is closed with 1008 (policy
/// violation), audited once per connection.
@Suite("stream revocation end to end", .serialized)
struct StreamRevocationEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func aPublishStreamEndsWhenItsCertificateIsRevoked() async throws {
        let daemon = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: daemon.directory) }
        try Self.configureRevocationList(daemon)
        try await daemon.start()
        try await daemon.use {
            let frames = Shared<[String]>([])
            let closed = try await daemon.within(60, { "publish stream: \(frames.withLock { $0 })" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/publish", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("msa"), logger: Logger(label: "ws-publish")
                ) { inbound, outbound, _ in
                    var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    try await outbound.write(.text(Self.event("V-0")))
                    if case .text(let text)? = try await messages.next() { frames.withLock { $0.append(text) } }
                    try await Self.revoke("msa", daemon)
                    // The daemon closes the stream at the first of them: the others may find it closed.
                    for index in 1...3 { try? await outbound.write(.text(Self.event("V-\(index)"))) }
                    while let message = try await messages.next() {
                        if case .text(let text) = message { frames.withLock { $0.append(text) } }
                    }
                }
            }
            let answers = frames.withLock { $0 }.flatMap { $0.split(separator: "\n").map(String.init) }
            #expect(answers.first?.contains(#""id":"V-0""#) == true, "\(answers)")
            #expect(answers.dropFirst().allSatisfy { !$0.contains("\"sequence\"") }, "published after revocation: \(answers)")
            #expect(answers.contains { $0.contains("auth.certificate_revoked") }, "\(answers)")
            #expect(closed?.closeCode == .policyViolation, "\(String(describing: closed))")
            // A new connection is refused too.
            #expect(try await daemon.publish("msa", id: "V-4", data: ["licence_no": "V-4"]).status == 401)
            #expect(try await daemon.stop() == 0)

            let entries = try Self.auditEntries(daemon)
            #expect(!entries.contains { $0.contains("V-1") || $0.contains("V-2") || $0.contains("V-3") }, "nothing published after revocation")
            let streamDenials = entries.filter { $0.contains("auth.certificate_revoked") && $0.contains("\"method\":\"WS\"") }
            #expect(streamDenials.count == 1, "audited once per connection: \(streamDenials)")
            #expect(streamDenials.allSatisfy { $0.contains("\"actor\":\"msa\"") && $0.contains("\"kind\":\"access_denied\"") }, "\(streamDenials)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aSubscriptionStreamEndsWhenItsCertificateIsRevoked() async throws {
        let daemon = try DaemonHarness()
        defer { try? FileManager.default.removeItem(atPath: daemon.directory) }
        try Self.configureRevocationList(daemon)
        try await daemon.start()
        try await daemon.use {
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-push", ["filter": "licence.>", "start": "all"]).status == 201)
            #expect(try await daemon.publish("msa", id: "S-0", data: ["licence_no": "S-0"]).status == 200)
            let frames = Shared<[String]>([])
            let closed = try await daemon.within(60, { "subscription stream: \(frames.withLock { $0 })" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/subscriptions/tax-push/stream", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("tax"), logger: Logger(label: "ws-stream")
                ) { inbound, outbound, _ in
                    var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    try await outbound.write(.text(#"{"credit":1}"#))
                    if case .text(let text)? = try await messages.next() { frames.withLock { $0.append(text) } }
                    try await outbound.write(.text(#"{"ack":[1]}"#))
                    try await Self.revoke("tax", daemon)
                    #expect(try await daemon.publish("msa", id: "S-1", data: ["licence_no": "S-1"]).status == 200)
                    // The daemon may have closed the stream already (it checks every second).
                    try? await outbound.write(.text(#"{"credit":5}"#))
                    while let message = try await messages.next() {
                        if case .text(let text) = message { frames.withLock { $0.append(text) } }
                    }
                }
            }
            let received = frames.withLock { $0 }
            #expect(received.first?.contains("S-0") == true, "\(received)")
            #expect(received.dropFirst().allSatisfy { !$0.contains("S-1") }, "delivered after revocation: \(received)")
            #expect(received.contains { $0.contains("auth.certificate_revoked") }, "\(received)")
            #expect(closed?.closeCode == .policyViolation, "\(String(describing: closed))")
            #expect(try await daemon.stop() == 0)

            let streamDenials = try Self.auditEntries(daemon).filter { $0.contains("auth.certificate_revoked") && $0.contains("\"method\":\"WS\"") }
            #expect(streamDenials.count == 1, "audited once per connection: \(streamDenials)")
            #expect(streamDenials.allSatisfy { $0.contains("\"actor\":\"tax\"") }, "\(streamDenials)")
        }
    }

    static func event(_ id: String) -> String {
        #"{"specversion":"1.0","id":"\#(id)","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"\#(id)"}}"#
    }

    /// Points `server.tls.revoked_certificates` at an empty `revoked.txt`.
    static func configureRevocationList(_ daemon: DaemonHarness) throws {
        let configPath = daemon.directory + "/exchange.yaml"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "    client_ca: ca.crt\n", with: "    client_ca: ca.crt\n    revoked_certificates: revoked.txt\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        try "# revoked department certificates\n".write(toFile: daemon.directory + "/revoked.txt", atomically: true, encoding: .utf8)
    }

    /// Lists `department`'s certificate as revoked and reloads the TLS files (SIGHUP).
    static func revoke(_ department: String, _ daemon: DaemonHarness) async throws {
        let der = try NIOSSLCertificate.fromPEMFile(daemon.directory + "/clients/\(department).crt")[0].toDERBytes()
        let fingerprint = try PeerCertificate(derEncoded: der).sha256Fingerprint
        try "\(fingerprint)\n".write(toFile: daemon.directory + "/revoked.txt", atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let reloaded = try #require(await daemon.waitForLog("TLS files reloaded", seconds: 30), "\(daemon.log.suffix(10))")
        #expect(reloaded.contains("revoked_certificates=1"), "\(reloaded)")
    }

    static func auditEntries(_ daemon: DaemonHarness) throws -> [String] {
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: daemon.directory + "/data", initialMapSize: 16 << 20))
        defer { store.close() }
        return try store.auditEntries(from: 0, limit: 10_000).map { String(decoding: $0, as: UTF8.self) }
    }
}
