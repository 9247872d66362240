import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A client connection to 127.0.0.1 that sends bytes as given, TLS or bare TCP, and records
/// what comes back and when the server closes it: for requests no HTTP client would send.
final class RawConnection: Sendable {
    let channel: any Channel
    private let state: Shared<State>

    struct State {
        var received: [UInt8] = []
        var handshaken = false
        var closedAt: ContinuousClock.Instant?
    }

    private init(channel: any Channel, state: Shared<State>) {
        self.channel = channel
        self.state = state
    }

    /// Connects to `port`; with `tls`, over TLS (the handshake starts at once).
    static func open(port: Int, tls: TLSConfiguration?) async throws -> RawConnection {
        let state = Shared(State())
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(Recorder(state: state))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, state: state)
    }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Sends `bytes` as they are.
    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Everything received so far, as text.
    var text: String { String(decoding: state.withLock { $0.received }, as: UTF8.self) }

    /// Whether the TLS handshake completed.
    var isHandshaken: Bool { state.withLock { $0.handshaken } }

    /// When the connection closed; `nil` while open.
    var closedAt: ContinuousClock.Instant? { state.withLock { $0.closedAt } }

    /// Waits at most `seconds` for the connection to close; returns when it closed, or `nil`.
    func waitForClose(seconds: Double) async -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let closedAt { return closedAt }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return closedAt
    }

    /// Waits at most `seconds` until the received text contains `text`.
    func waitFor(_ text: String, seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if self.text.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return self.text.contains(text)
    }

    /// Waits at most `seconds` for the TLS handshake.
    func waitForHandshake(seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if isHandshaken { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return isHandshaken
    }

    /// The DER bytes of the server's certificate, once the TLS handshake completed.
    func peerCertificateDER() async throws -> [UInt8]? {
        try await channel.eventLoop.submit {
            try self.channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes()
        }.get()
    }

    /// Closes the connection from this side.
    func close() {
        channel.close(promise: nil)
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: Shared<State>

        init(state: Shared<State>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            state.withLock { $0.received.append(contentsOf: bytes) }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent { state.withLock { $0.handshaken = true } }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closedAt = $0.closedAt ?? .now }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // An abrupt close (no close_notify) or a reset: the connection is over.
            context.close(promise: nil)
        }
    }
}

/// A parsed HTTP/1.1 response head and body, read from raw bytes.
struct RawResponse {
    let status: Int
    let headers: [String: String]
    let body: String

    init?(_ text: String) {
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = lines.first, let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            return nil
        }
        status = code
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        body = String(text[split.upperBound...])
    }

    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}
