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
        /// When given, each answered event is passed to it (its latency in nanoseconds, or nil
        /// for an error) instead of being kept in ``Result/latencies``: for runs too long to
        /// keep every sample, or that report as they go.
        var observe: (@Sendable (UInt64?) -> Void)?

        var frameCount: Int { (count + batch - 1) / batch }

        func eventCount(inFrame frame: Int) -> Int { min(batch, count - frame * batch) }
    }

    let url: String
    let tls: TLSConfiguration
    let event: BenchEvent
    let timeoutSeconds: Int

    /// Publishes events `first..<first+count` on one connection.
    func run(
        first: Int, count: Int, window: Int, batch: Int = 1, schedule: (@Sendable (Int) -> UInt64)? = nil,
        observe: (@Sendable (UInt64?) -> Void)? = nil
    ) async throws -> Result {
        let plan = Plan(first: first, count: count, window: window, batch: batch, schedule: schedule, observe: observe)
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
                to: url, tls: tls, handler: { WebSocketClientConnection(role: WebSocketPublishRole(event: event, plan: plan, promise: promise)) }, group: loop)
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
final class WebSocketPublishRole: WebSocketClientRole {
    let path = "/v1/publish"
    private let event: BenchEvent
    private let plan: WebSocketPublisher.Plan
    private let promise: EventLoopPromise<WebSocketPublisher.Result>
    private var times: [UInt64]
    private var result = WebSocketPublisher.Result()
    private var sentFrames = 0
    private var sentEvents = 0
    private var received = 0
    private var waitingForSchedule = false

    init(event: BenchEvent, plan: WebSocketPublisher.Plan, promise: EventLoopPromise<WebSocketPublisher.Result>) {
        self.event = event
        self.plan = plan
        self.promise = promise
        times = Array(repeating: 0, count: max(1, plan.frameCount))
        if plan.observe == nil { result.latencies.reserveCapacity(plan.count) }
    }

    func opened(_ connection: WebSocketClientConnection) {
        sendMore(connection)
    }

    func received(_ message: UnsafeRawBufferPointer, on connection: WebSocketClientConnection) {
        answer(message)
        if received >= plan.count {
            promise.succeed(result)
            connection.finish()
        } else {
            sendMore(connection)
        }
    }

    func failed(_ error: any Error) {
        promise.fail(WebSocketPublisher.Failure(description: "publish stream, after \(received) replies: \(error)"))
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
                if let observe = plan.observe { for _ in 0..<answered { observe(nil) } }
            } else if known {
                let latency = now &- times[index]
                if let observe = plan.observe {
                    for _ in 0..<answered { observe(latency) }
                } else {
                    for _ in 0..<answered { result.latencies.append(latency) }
                }
            }
        }
    }

    /// Sends frames while the window allows and the schedule has come, flushing once.
    private func sendMore(_ connection: WebSocketClientConnection) {
        guard connection.isOpen, !waitingForSchedule else { return }
        let allocator = connection.allocator
        var out = allocator.buffer(capacity: 0)
        while sentFrames < plan.frameCount, sentEvents - received < plan.window {
            let k = sentFrames
            let stamp: UInt64
            if let schedule = plan.schedule {
                stamp = schedule(k)
                let now = monotonicNanoseconds()
                if stamp > now + 50_000 {
                    waitingForSchedule = true
                    connection.schedule(in: .nanoseconds(Int64(stamp - now))) { [self] in
                        waitingForSchedule = false
                        sendMore(connection)
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
            payload.withUnsafeReadableBytes { connection.appendFrame(opcode: WebSocketFraming.binary, payload: $0, into: &out) }
            sentFrames += 1
            sentEvents += events
            if out.readableBytes >= 1 << 18 {
                connection.write(out)
                out = allocator.buffer(capacity: 0)
            }
        }
        if out.readableBytes > 0 { connection.write(out) }
        connection.flush()
    }
}
