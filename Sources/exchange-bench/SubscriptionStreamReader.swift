import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Receives a subscription over `WS /v1/subscriptions/{name}/stream` and records for each event
/// the time from the stamp in its data to its arrival. The stream runs on one event loop with
/// only ``SubscriptionStreamRole`` above TLS, so an event is stamped when its bytes are read.
struct SubscriptionStreamReader {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What the stream received.
    struct Result: Sendable {
        var latencies: [UInt64] = []
        var received = 0
        var errors = 0
        var firstError: String?
    }

    let url: String
    let tls: TLSConfiguration
    let name: String

    /// Creates (or replaces) the subscription, starting at new events.
    static func create(baseURL: String, tls: TLSConfiguration, name: String, topic: String, timeoutSeconds: Int) async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: baseURL + "/v1/subscriptions/" + name)
            request.method = .PUT
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"filter":""# + topic + #"","start":"new","max_in_flight":100000}"#))
            let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds)))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok || response.status == .created else {
                throw Failure(description: "creating subscription \(name): \(response.status.code) \(String(buffer: body))")
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Receives until `expected` events with an index of at least `skipBelow` (in the data's
    /// `k`) and all earlier ones have arrived, or `deadline` (monotonic ns) passes.
    /// - Parameters:
    ///   - ready: called once the stream is open and credit granted.
    ///   - observe: when given, each measured latency (nanoseconds) is passed to it with the
    ///     event's index (`k`) instead of being kept in ``Result/latencies``.
    func run(
        expected: Int, skipBelow: Int, deadline: @escaping @Sendable () -> UInt64, ready: @escaping @Sendable () -> Void,
        observe: (@Sendable (_ latency: UInt64, _ index: Int) -> Void)? = nil
    ) async throws -> Result {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Result.self)
        let plan = SubscriptionStreamRole.Plan(
            name: name, expected: expected, skipBelow: skipBelow, deadline: deadline, ready: ready, observe: observe)
        let channel: any Channel
        do {
            channel = try await BenchChannel.connect(
                to: url, tls: tls, handler: { WebSocketClientConnection(role: SubscriptionStreamRole(plan: plan, promise: promise)) }, group: loop)
        } catch {
            promise.fail(error)
            throw error
        }
        return try await withTaskCancellationHandler {
            let result = try await promise.futureResult.get()
            try? await channel.closeFuture.get()
            return result
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// One subscription stream's state, touched only on its event loop: grants credit, acks in
/// batches of 256 (sooner when an event arrives 5 ms after the last ack), and stamps each
/// event's arrival as its bytes are read.
final class SubscriptionStreamRole: WebSocketClientRole {
    struct Plan: Sendable {
        var name: String
        var expected: Int
        var skipBelow: Int
        var deadline: @Sendable () -> UInt64
        var ready: @Sendable () -> Void
        var observe: (@Sendable (_ latency: UInt64, _ index: Int) -> Void)? = nil
    }

    let path: String
    private let plan: Plan
    private let promise: EventLoopPromise<SubscriptionStreamReader.Result>
    private var result = SubscriptionStreamReader.Result()
    private var acks: [UInt64] = []
    private var lastAck: UInt64 = 0
    private var credited = 0
    private var isDone = false
    private var hasOpened = false

    init(plan: Plan, promise: EventLoopPromise<SubscriptionStreamReader.Result>) {
        self.plan = plan
        self.promise = promise
        path = "/v1/subscriptions/" + plan.name + "/stream"
        if plan.observe == nil { result.latencies.reserveCapacity(plan.expected) }
    }

    func opened(_ connection: WebSocketClientConnection) {
        hasOpened = true
        credited = min(plan.expected, 100_000)
        connection.sendText(#"{"credit":\#(credited)}"#)
        lastAck = monotonicNanoseconds()
        plan.ready()
        watchDeadline(connection)
    }

    func received(_ message: UnsafeRawBufferPointer, on connection: WebSocketClientConnection) {
        guard !isDone else { return }
        let now = monotonicNanoseconds()
        guard let stamp = FrameScan.number(after: #""t":""#, in: message),
            let index = FrameScan.number(after: #""k":""#, in: message),
            let sequence = FrameScan.number(after: #""sequence":""#, in: message)
        else {
            result.errors += 1
            if result.firstError == nil { result.firstError = String(decoding: message, as: UTF8.self) }
            return
        }
        result.received += 1
        if index >= plan.skipBelow {
            if let observe = plan.observe { observe(now &- stamp, Int(clamping: index)) } else { result.latencies.append(now &- stamp) }
        }
        acks.append(sequence)
        if acks.count >= 256 || now - lastAck > 5_000_000 { flushAcks(connection, now: now) }
        if result.received >= plan.expected {
            flushAcks(connection, now: now)
            stop(connection)
            return
        }
        if result.received + 10_000 > credited, credited < plan.expected {
            let more = min(10_000, plan.expected - credited)
            credited += more
            connection.sendText(#"{"credit":\#(more)}"#)
        }
    }

    /// Before the stream opened, the run fails; after, it ends with what arrived, the error
    /// added to `firstError` (the report then shows fewer events delivered than published).
    func failed(_ error: any Error) {
        guard !isDone else { return }
        isDone = true
        let description = "subscription stream, after \(result.received) events: \(error)"
        guard hasOpened else {
            promise.fail(SubscriptionStreamReader.Failure(description: description))
            return
        }
        if let first = result.firstError {
            result.firstError = first + "; then the " + description
        } else {
            result.firstError = description
        }
        promise.succeed(result)
    }

    private func flushAcks(_ connection: WebSocketClientConnection, now: UInt64) {
        guard !acks.isEmpty else { return }
        var text = #"{"ack":["#
        for (position, sequence) in acks.enumerated() {
            if position > 0 { text += "," }
            text += String(sequence)
        }
        text += "]}"
        acks.removeAll(keepingCapacity: true)
        lastAck = now
        connection.sendText(text)
    }

    /// Ends the run with what arrived once the deadline passes; checked every 50 ms.
    private func watchDeadline(_ connection: WebSocketClientConnection) {
        connection.schedule(in: .milliseconds(50)) { [self] in
            guard !isDone else { return }
            if monotonicNanoseconds() >= plan.deadline() {
                stop(connection)
            } else {
                watchDeadline(connection)
            }
        }
    }

    private func stop(_ connection: WebSocketClientConnection) {
        isDone = true
        promise.succeed(result)
        connection.finish()
    }
}
