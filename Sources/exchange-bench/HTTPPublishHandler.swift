import NIOCore
import Synchronization

/// One `publish-http` connection: structured events posted one at a time, each numbered from
/// a ticket shared by all connections, each answer read before the next request is sent.
///
/// The connection first publishes one untimed event (opening it, TLS handshake included) and
/// reports on `warmed`; the measured loop starts on ``Start`` and reports on `finished`.
final class HTTPPublishHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The user event that starts the measured loop.
    struct Start: Sendable {}

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Hands out event numbers to the connections.
    final class Ticket: Sendable {
        private let next = Atomic<Int>(0)
        func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
    }

    /// What one connection measured.
    struct Outcome: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
    }

    private enum State {
        case warmingUp
        case idle
        case measuring
        case done
    }

    private let event: BenchEvent
    private let head: [UInt8]
    private let warmupIndex: Int
    private let ticket: Ticket
    private let count: Int
    private let warmed: EventLoopPromise<Void>
    private let finished: EventLoopPromise<Outcome>
    private var state = State.warmingUp
    private var inbound = ByteBuffer()
    private var outcome = Outcome()
    private var sent: UInt64 = 0

    private let timeoutNanoseconds: UInt64
    private var watchdog: RepeatedTask?

    /// - Parameter timeoutSeconds: how long one answer may take before the connection fails.
    init(
        event: BenchEvent, topic: String, warmupIndex: Int, ticket: Ticket, count: Int, timeoutSeconds: Int,
        warmed: EventLoopPromise<Void>, finished: EventLoopPromise<Outcome>
    ) {
        timeoutNanoseconds = UInt64(timeoutSeconds) * 1_000_000_000
        self.event = event
        head = Array(
            ("POST /v1/topics/\(topic)/events HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/cloudevents+json\r\nContent-Length: \(event.template.count)\r\n\r\n").utf8)
        self.warmupIndex = warmupIndex
        self.ticket = ticket
        self.count = count
        self.warmed = warmed
        self.finished = finished
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let (handler, context) = loopBound.value
            handler.checkTimeout(context: context)
        }
        sent = monotonicNanoseconds()
        send(warmupIndex, context: context)
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is Start, case .idle = state else { return context.fireUserInboundEventTriggered(event) }
        state = .measuring
        next(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbound.gather(unwrapInboundIn(data))
        do {
            while let (status, body) = try readResponse() {
                try answered(status: status, body: body, context: context)
            }
        } catch {
            fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(Failure(description: "the server closed the connection"), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    /// Takes one whole response from `inbound`: its status and body.
    private func readResponse() throws -> (Int, ByteBuffer)? {
        guard let end = inbound.withUnsafeReadableBytes({ HTTPHeadScan.headEnd(in: $0) }) else {
            if inbound.readableBytes > 1 << 16 { throw Failure(description: "a response head without an end") }
            return nil
        }
        let (status, length) = try inbound.withUnsafeReadableBytes { raw in
            let head = UnsafeRawBufferPointer(rebasing: raw[..<end])
            guard let status = HTTPHeadScan.status(of: head) else {
                throw Failure(description: "not an HTTP/1.1 response: \(String(decoding: head.prefix(80), as: UTF8.self))")
            }
            guard let length = HTTPHeadScan.contentLength(in: head) else {
                throw Failure(description: "a response without content-length (status \(status))")
            }
            return (status, length)
        }
        guard inbound.readableBytes >= end + length else { return nil }
        inbound.moveReaderIndex(forwardBy: end)
        let body = inbound.readSlice(length: length)!
        if inbound.readableBytes == 0 { inbound.clear() }
        return (status, body)
    }

    private func answered(status: Int, body: ByteBuffer, context: ChannelHandlerContext) throws {
        switch state {
        case .warmingUp:
            guard status == 200 else {
                throw Failure(description: "warm-up publish refused: \(status) \(String(buffer: body))")
            }
            state = .idle
            warmed.succeed()
        case .measuring:
            if status == 200 {
                outcome.latencies.append(monotonicNanoseconds() &- sent)
            } else {
                outcome.errors += 1
                if outcome.firstError == nil { outcome.firstError = "\(status) \(String(buffer: body))" }
            }
            next(context: context)
        case .idle, .done:
            throw Failure(description: "an answer to no request (status \(status))")
        }
    }

    private func checkTimeout(context: ChannelHandlerContext) {
        switch state {
        case .warmingUp, .measuring:
            if monotonicNanoseconds() &- sent > timeoutNanoseconds {
                fail(Failure(description: "no answer within \(timeoutNanoseconds / 1_000_000_000) s"), context: context)
            }
        case .idle, .done:
            break
        }
    }

    private func next(context: ChannelHandlerContext) {
        let index = ticket.take()
        guard index < count else {
            state = .done
            watchdog?.cancel()
            finished.succeed(outcome)
            return
        }
        sent = monotonicNanoseconds()
        send(index, context: context)
    }

    private func send(_ index: Int, context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: head.count + event.template.count)
        out.writeBytes(head)
        event.write(index: index, into: &out)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        switch state {
        case .done:
            return
        case .warmingUp:
            warmed.fail(error)
        case .idle, .measuring:
            break
        }
        state = .done
        watchdog?.cancel()
        finished.fail(error)
        context.close(promise: nil)
    }
}
