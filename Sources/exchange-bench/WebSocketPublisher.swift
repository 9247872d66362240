import NIOCore
import NIOPosix
import NIOSSL

/// Publishes over `WS /v1/publish`: frames are sent while fewer than `window` events await a
/// reply, and each reply's `index` gives the frame it answers.
///
/// The connection runs on one event loop with its own RFC 6455 client framing: a burst of
/// frames is encoded into one buffer and flushed once, and replies are scanned, not decoded.
struct WebSocketPublisher {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What one connection measured.
    struct Result: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
    }

    /// What one connection publishes.
    struct Plan: Sendable {
        /// The number of the first event.
        var first: Int
        /// Events to publish.
        var count: Int
        /// The most events awaiting a reply.
        var window: Int
        /// Events per frame; above 1, each frame is a batch (a JSON array).
        var batch: Int
        /// When given, frame k is not sent before `schedule(k)` (monotonic ns), and is stamped
        /// with that time rather than the send time.
        var schedule: (@Sendable (Int) -> UInt64)?

        var frameCount: Int { (count + batch - 1) / batch }

        func eventCount(inFrame frame: Int) -> Int { min(batch, count - frame * batch) }
    }

    let url: String
    let tls: TLSConfiguration
    let event: BenchEvent
    let timeoutSeconds: Int

    /// Publishes events `first..<first+count` on one connection.
    func run(first: Int, count: Int, window: Int, batch: Int = 1, schedule: (@Sendable (Int) -> UInt64)? = nil) async throws -> Result {
        let plan = Plan(first: first, count: count, window: window, batch: batch, schedule: schedule)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Result.self)
        let seconds = timeoutSeconds + (schedule.map { Int((Double($0(count) &- $0(0)) / 1e9).rounded(.up)) } ?? count / 10_000)
        let timer = loop.scheduleTask(in: .seconds(Int64(seconds))) {
            promise.fail(Failure(description: "replies did not arrive within \(seconds) s"))
        }
        let event = self.event
        let channel: any Channel
        do {
            channel = try await BenchChannel.connect(
                to: url, tls: tls, handler: { WebSocketPublishHandler(event: event, plan: plan, promise: promise) }, group: loop)
        } catch {
            timer.cancel()
            promise.fail(error)
            throw error
        }
        defer { timer.cancel() }
        do {
            let result = try await promise.futureResult.get()
            try? await channel.closeFuture.get()
            return result
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }
}

/// One publish connection's state, touched only on its event loop.
final class WebSocketPublishHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case handshake
        case open
        /// Every answer arrived; the Close was sent and the server's is awaited.
        case closing
        case finished
    }

    private let event: BenchEvent
    private let plan: WebSocketPublisher.Plan
    private let promise: EventLoopPromise<WebSocketPublisher.Result>
    private let handshake = WebSocketFraming.handshakeKey()
    private var framing = WebSocketFraming()
    private var phase = Phase.handshake
    private var inbound = ByteBuffer()
    private var message: ByteBuffer?
    private var times: [UInt64]
    private var result = WebSocketPublisher.Result()
    private var sentFrames = 0
    private var sentEvents = 0
    private var received = 0
    private var waitingForSchedule = false
    private let allocator = ByteBufferAllocator()

    init(event: BenchEvent, plan: WebSocketPublisher.Plan, promise: EventLoopPromise<WebSocketPublisher.Result>) {
        self.event = event
        self.plan = plan
        self.promise = promise
        times = Array(repeating: 0, count: max(1, plan.frameCount))
        result.latencies.reserveCapacity(plan.count)
    }

    func channelActive(context: ChannelHandlerContext) {
        let request =
            "GET /v1/publish HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(handshake.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.gather(unwrapInboundIn(data))
        do {
            if case .handshake = phase {
                guard try completeHandshake(context: context) else { return }
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
            fail(WebSocketPublisher.Failure(description: "the server closed the publish stream after \(received) replies"), context: context)
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
    private func completeHandshake(context: ChannelHandlerContext) throws -> Bool {
        guard let end = inbound.withUnsafeReadableBytes({ HTTPHeadScan.headEnd(in: $0) }) else {
            if inbound.readableBytes > 1 << 16 { throw WebSocketPublisher.Failure(description: "the upgrade answer has no end") }
            return false
        }
        let head = inbound.readSlice(length: end)!
        try head.withUnsafeReadableBytes { raw in
            guard HTTPHeadScan.status(of: raw) == 101 else {
                throw WebSocketPublisher.Failure(description: "the server refused the upgrade: \(String(decoding: raw, as: UTF8.self))")
            }
            guard HTTPHeadScan.value(of: "sec-websocket-accept", in: raw) == handshake.accept else {
                throw WebSocketPublisher.Failure(description: "the server's Sec-WebSocket-Accept does not match the key sent")
            }
        }
        phase = .open
        sendMore(context: context)
        return true
    }

    private func handle(_ frame: WebSocketFraming.Frame, context: ChannelHandlerContext) throws {
        switch frame.opcode {
        case WebSocketFraming.text, WebSocketFraming.binary, WebSocketFraming.continuation:
            guard case .open = phase else { return }
            var payload = frame.payload
            if frame.opcode == WebSocketFraming.continuation {
                guard message != nil else { throw WebSocketPublisher.Failure(description: "a continuation frame without a first frame") }
                message!.writeBuffer(&payload)
            } else if !frame.fin {
                message = payload
            }
            guard frame.fin else { return }
            let whole = message ?? payload
            message = nil
            whole.withUnsafeReadableBytes { answer($0) }
            if received >= plan.count {
                finish(context: context)
            } else {
                sendMore(context: context)
            }
        case WebSocketFraming.ping:
            var out = context.channel.allocator.buffer(capacity: frame.payload.readableBytes + 8)
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
            throw WebSocketPublisher.Failure(description: "the server closed the publish stream after \(received) replies: \(code) \(reason)")
        default:
            break
        }
    }

    /// Counts the answer lines of one reply frame, each for one frame sent.
    private func answer(_ raw: UnsafeRawBufferPointer) {
        let now = monotonicNanoseconds()
        var start = 0
        while start < raw.count {
            let end = raw[start...].firstIndex(of: UInt8(ascii: "\n")) ?? raw.count
            let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            start = end + 1
            let index = FrameScan.number(after: #""index":"#, in: line).map(Int.init) ?? -1
            let known = index >= 0 && index < plan.frameCount
            let answered = known ? plan.eventCount(inFrame: index) : 1
            received += answered
            if FrameScan.contains(#""error":"#, in: line) {
                result.errors += answered
                if result.firstError == nil { result.firstError = String(decoding: line, as: UTF8.self) }
            } else if known {
                let latency = now &- times[index]
                for _ in 0..<answered { result.latencies.append(latency) }
            }
        }
    }

    /// Sends frames while the window allows and the schedule has come, flushing once.
    private func sendMore(context: ChannelHandlerContext) {
        guard case .open = phase, !waitingForSchedule else { return }
        var out = allocator.buffer(capacity: 0)
        while sentFrames < plan.frameCount, sentEvents - received < plan.window {
            let k = sentFrames
            let stamp: UInt64
            if let schedule = plan.schedule {
                stamp = schedule(k)
                let now = monotonicNanoseconds()
                if stamp > now + 50_000 {
                    waitingForSchedule = true
                    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .nanoseconds(Int64(stamp - now))) {
                        let (handler, context) = loopBound.value
                        handler.waitingForSchedule = false
                        handler.sendMore(context: context)
                    }
                    break
                }
            } else {
                stamp = monotonicNanoseconds()
            }
            times[k] = stamp
            let time = plan.schedule == nil ? 0 : stamp
            let firstEvent = plan.first + k * plan.batch
            let events = plan.eventCount(inFrame: k)
            let payload =
                plan.batch == 1
                ? event.buffer(index: firstEvent, time: time, allocator: allocator)
                : event.batchBuffer(indices: firstEvent..<firstEvent + events, time: time, allocator: allocator)
            if out.capacity == 0 { out.reserveCapacity(min(1 << 18, (payload.readableBytes + 14) * plan.window)) }
            payload.withUnsafeReadableBytes { framing.write(opcode: WebSocketFraming.binary, payload: $0, into: &out) }
            sentFrames += 1
            sentEvents += events
            if out.readableBytes >= 1 << 18 {
                context.write(wrapOutboundOut(out), promise: nil)
                out = allocator.buffer(capacity: 0)
            }
        }
        if out.readableBytes > 0 { context.write(wrapOutboundOut(out), promise: nil) }
        context.flush()
    }

    /// Reports the result and starts the closing handshake (RFC 6455 section 7): a Close frame
    /// now, the connection closed when the server's Close arrives, or after a second.
    private func finish(context: ChannelHandlerContext) {
        phase = .closing
        promise.succeed(result)
        var out = context.channel.allocator.buffer(capacity: 8)
        withUnsafeBytes(of: UInt16(1000).bigEndian) { framing.write(opcode: WebSocketFraming.close, payload: $0, into: &out) }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) { loopBound.value.close(promise: nil) }
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        switch phase {
        case .finished, .closing: return
        case .handshake, .open: break
        }
        phase = .finished
        promise.fail(error)
        context.close(promise: nil)
    }
}
