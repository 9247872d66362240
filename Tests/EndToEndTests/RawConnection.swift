import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

/// A client connection to 127.0.0.1 that sends bytes as given, TLS or bare TCP, and records
/// what comes back and when the server closes it: for requests no HTTP client would send.
final class RawConnection: Sendable {
    let channel: any Channel
    private let state: Shared<State>

    struct State {
        var received: [UInt8] = []
        var handshaken = false
        var closedAt: ContinuousClock.Instant?
        /// Reads are held back (``ReadGate``).
        var stoppedReading = false
        /// `stopReadingAfter` was seen once; reading resumed after it does not stop again.
        var sawStopText = false
    }

    private init(channel: any Channel, state: Shared<State>) {
        self.channel = channel
        self.state = state
    }

    /// Connects to `port`; with `tls`, over TLS (the handshake starts at once).
    /// - Parameters:
    ///   - receiveBuffer: the socket's receive buffer (`SO_RCVBUF`), bytes; the system's when `nil`.
    ///   - stopReadingAfter: once what was received contains this text, the connection reads
    ///     nothing more from its socket (a client that stops reading).
    static func open(port: Int, tls: TLSConfiguration?, receiveBuffer: Int? = nil, stopReadingAfter: String? = nil) async throws -> RawConnection {
        let state = Shared(State())
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Nearest the socket: once the connection stops reading, no read reaches
                    // the socket, not even those the TLS handler issues for a partial record.
                    try channel.pipeline.syncOperations.addHandler(ReadGate(state: state))
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(Recorder(state: state, stopReadingAfter: stopReadingAfter.map { Array($0.utf8) }))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, state: state)
    }

    /// Connects to `port` and starts a POST to `path` whose body never finishes: the head
    /// declares `length` bytes of `contentType` and only `start` follows (a slowloris on the
    /// body). Waits at most `handshakeSeconds` for the TLS handshake first, and records an issue
    /// at the caller when it does not complete.
    static func openSlowBody(
        port: Int, tls: TLSConfiguration?, path: String, contentType: String, length: Int, start: String,
        handshakeSeconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> RawConnection {
        let connection = try await open(port: port, tls: tls)
        #expect(await connection.waitForHandshake(seconds: handshakeSeconds), sourceLocation: sourceLocation)
        try await connection.send(
            "POST \(path) HTTP/1.1\r\nHost: exchange\r\nContent-Type: \(contentType)\r\nContent-Length: \(length)\r\n\r\n\(start)")
        return connection
    }

    /// Sends `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Sends `bytes` as they are.
    func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Everything received so far, as bytes.
    var received: [UInt8] { state.withLock { $0.received } }

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

    /// Reads from the socket again after `stopReadingAfter` stopped it.
    func resumeReading() async throws {
        state.withLock { $0.stoppedReading = false }
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
    }

    /// Closes the connection from this side.
    func close() {
        channel.close(promise: nil)
    }

    /// Closes the socket under TLS, as a client that is killed does: no `close_notify`, the
    /// server sees the connection end uncleanly.
    func closeUncleanly() async throws {
        try await channel.eventLoop.submit {
            try self.channel.pipeline.syncOperations.addHandler(SocketCloser(), position: .first)
        }.get()
        _ = await waitForClose(seconds: 5)
    }

    /// Closes the socket as soon as it is added nearest the socket, below any TLS handler.
    private final class SocketCloser: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer

        func handlerAdded(context: ChannelHandlerContext) {
            context.close(promise: nil)
        }
    }

    /// Holds back every read from the socket while the connection has stopped reading. Turning
    /// `autoRead` off alone does not: NIOSSL reads again whenever a read brought only part of a
    /// TLS record, so a client meant to read nothing went on taking bytes in small pieces.
    private final class ReadGate: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        let state: Shared<State>

        init(state: Shared<State>) {
            self.state = state
        }

        func read(context: ChannelHandlerContext) {
            guard !state.withLock({ $0.stoppedReading }) else { return }
            context.read()
        }
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: Shared<State>
        let stopReadingAfter: [UInt8]?

        init(state: Shared<State>, stopReadingAfter: [UInt8]? = nil) {
            self.state = state
            self.stopReadingAfter = stopReadingAfter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            let stop = state.withLock { state -> Bool in
                state.received.append(contentsOf: bytes)
                guard let stopReadingAfter, !state.sawStopText, state.received.firstRange(of: stopReadingAfter) != nil else { return false }
                state.sawStopText = true
                state.stoppedReading = true
                return true
            }
            if stop { try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
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
