import NIOCore

/// What one load-mode connection does once its WebSocket is open. Every call comes on the
/// connection's event loop.
protocol WebSocketClientRole: AnyObject {
    /// The request target of the upgrade, such as `/v1/publish`.
    var path: String { get }
    /// The stream is open; the role may send.
    func opened(_ connection: WebSocketClientConnection)
    /// A whole text or binary message arrived (fragments already joined).
    func received(_ message: UnsafeRawBufferPointer, on connection: WebSocketClientConnection)
    /// The stream failed, or the server closed it before the role called `finish()`. Called
    /// at most once, and never after `finish()`.
    func failed(_ error: any Error)
}

/// A client WebSocket over one TLS channel, with only what the load modes need: the upgrade
/// (its `Sec-WebSocket-Accept` checked), RFC 6455 frames read and written by
/// ``WebSocketFraming``, answers to pings, and the closing handshake. What the stream carries
/// is the role's business.
final class WebSocketClientConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private enum Phase {
        case handshake
        case open
        /// The role finished; the Close was sent and the server's is awaited.
        case closing
        case finished
    }

    private let role: any WebSocketClientRole
    private let upgradeTimeout: TimeAmount
    private let handshake = WebSocketFraming.handshakeKey()
    private var framing = WebSocketFraming()
    private var phase = Phase.handshake
    private var inbound = ByteBuffer()
    private var message: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var upgradeDeadline: Scheduled<Void>?
    /// For the role's outgoing buffers.
    let allocator = ByteBufferAllocator()

    /// - Parameters:
    ///   - role: what the stream carries.
    ///   - upgradeTimeout: how long the server may take to answer the upgrade before the
    ///     connection fails.
    init(role: any WebSocketClientRole, upgradeTimeout: TimeAmount = .seconds(30)) {
        self.role = role
        self.upgradeTimeout = upgradeTimeout
    }

    /// The loop every call of the role runs on.
    var eventLoop: any EventLoop { context!.eventLoop }

    /// Whether the stream is open and the role has not finished.
    var isOpen: Bool {
        if case .open = phase { return true }
        return false
    }

    /// Appends a masked frame carrying `payload` to `out`, for ``write(_:)``.
    func appendFrame(opcode: UInt8, payload: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        framing.write(opcode: opcode, payload: payload, into: &out)
    }

    /// Queues bytes made by ``appendFrame(opcode:payload:into:)``; ``flush()`` sends them.
    func write(_ frames: ByteBuffer) {
        context?.write(wrapOutboundOut(frames), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Sends one text message now.
    func sendText(_ text: String) {
        var out = allocator.buffer(capacity: text.utf8.count + 14)
        var text = text
        text.withUTF8 { appendFrame(opcode: WebSocketFraming.text, payload: UnsafeRawBufferPointer($0), into: &out) }
        write(out)
        flush()
    }

    /// Runs `body` on the loop after `delay`, unless the connection has finished by then.
    func schedule(in delay: TimeAmount, _ body: @escaping () -> Void) {
        let bound = NIOLoopBound((self, body), eventLoop: eventLoop)
        eventLoop.scheduleTask(in: delay) {
            let (connection, body) = bound.value
            switch connection.phase {
            case .handshake, .open: body()
            case .closing, .finished: break
            }
        }
    }

    /// Starts the closing handshake (RFC 6455 section 7): a Close frame now, the connection
    /// closed when the server's Close arrives, or after a second.
    func finish() {
        guard case .open = phase, let context else { return }
        phase = .closing
        var out = allocator.buffer(capacity: 8)
        withUnsafeBytes(of: UInt16(1000).bigEndian) { framing.write(opcode: WebSocketFraming.close, payload: $0, into: &out) }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) { loopBound.value.close(promise: nil) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let request =
            "GET \(role.path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(handshake.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let seconds = Double(upgradeTimeout.nanoseconds) / 1e9
        upgradeDeadline = context.eventLoop.scheduleTask(in: upgradeTimeout) {
            let (connection, context) = bound.value
            guard case .handshake = connection.phase else { return }
            connection.fail(Failure(description: "the server did not answer the upgrade within \(seconds) s"), context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.gather(unwrapInboundIn(data))
        do {
            if case .handshake = phase {
                guard try completeHandshake() else { return }
            }
            while let frame = try readFrame() {
                try handle(frame, context: context)
            }
            if inbound.readerIndex > 1 << 16 { inbound.discardReadBytes() }
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .finished:
            break
        case .closing:
            phase = .finished
        case .handshake, .open:
            fail(Failure(description: "the server closed the connection"), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch phase {
        case .finished: return
        case .closing: context.close(promise: nil)
        case .handshake, .open: fail(error, context: context)
        }
    }

    /// The next whole frame while the stream is open or closing.
    private func readFrame() throws -> WebSocketFraming.Frame? {
        switch phase {
        case .open, .closing: try WebSocketFraming.read(from: &inbound, maxPayload: 1 << 24)
        case .handshake, .finished: nil
        }
    }

    /// Reads the server's answer to the upgrade; true once the stream is open.
    private func completeHandshake() throws -> Bool {
        guard let end = inbound.withUnsafeReadableBytes({ HTTPHeadScan.headEnd(in: $0) }) else {
            if inbound.readableBytes > 1 << 16 { throw Failure(description: "the upgrade answer has no end") }
            return false
        }
        let head = inbound.readSlice(length: end)!
        try head.withUnsafeReadableBytes { raw in
            guard HTTPHeadScan.status(of: raw) == 101 else {
                throw Failure(description: "the server refused the upgrade: \(String(decoding: raw, as: UTF8.self))")
            }
            guard HTTPHeadScan.value(of: "sec-websocket-accept", in: raw) == handshake.accept else {
                throw Failure(description: "the server's Sec-WebSocket-Accept does not match the key sent")
            }
        }
        phase = .open
        upgradeDeadline?.cancel()
        upgradeDeadline = nil
        role.opened(self)
        return true
    }

    private func handle(_ frame: WebSocketFraming.Frame, context: ChannelHandlerContext) throws {
        switch frame.opcode {
        case WebSocketFraming.text, WebSocketFraming.binary, WebSocketFraming.continuation:
            guard case .open = phase else { return }
            var payload = frame.payload
            if frame.opcode == WebSocketFraming.continuation {
                guard message != nil else { throw Failure(description: "a continuation frame without a first frame") }
                message!.writeBuffer(&payload)
            } else if !frame.fin {
                message = payload
            }
            guard frame.fin else { return }
            let whole = message ?? payload
            message = nil
            whole.withUnsafeReadableBytes { role.received($0, on: self) }
        case WebSocketFraming.ping:
            var out = allocator.buffer(capacity: frame.payload.readableBytes + 8)
            frame.payload.withUnsafeReadableBytes { framing.write(opcode: WebSocketFraming.pong, payload: $0, into: &out) }
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        case WebSocketFraming.close:
            if case .closing = phase {
                // The server answered the Close: the closing handshake is complete.
                phase = .finished
                context.close(promise: nil)
                return
            }
            let code = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt16.self).map(String.init) ?? "none"
            let reason = frame.payload.getString(at: frame.payload.readerIndex + 2, length: max(0, frame.payload.readableBytes - 2)) ?? ""
            throw Failure(description: "the server closed the stream: \(code) \(reason)")
        default:
            break
        }
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        switch phase {
        case .finished, .closing: return
        case .handshake, .open: break
        }
        phase = .finished
        role.failed(error)
        context.close(promise: nil)
    }
}
