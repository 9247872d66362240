import AsyncHTTPClient
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import Synchronization

/// Receives a subscription over `WS /v1/subscriptions/{name}/stream`: grants credit, acks in
/// batches, and records for each event the time from the stamp in its data to its arrival.
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
    /// - Parameter ready: resumed once the stream is open and credit granted.
    func run(expected: Int, skipBelow: Int, deadline: @escaping @Sendable () -> UInt64, ready: @escaping @Sendable () -> Void) async throws -> Result {
        var logger = Logger(label: "exchange-bench.stream")
        logger.logLevel = .critical
        let outcome = Locked<Result?>(nil)
        try await WebSocketClient.connect(
            url: url + "/v1/subscriptions/" + name + "/stream", configuration: .init(maxFrameSize: 1 << 21, sniHostname: "localhost"),
            tlsConfiguration: tls, logger: logger
        ) { inbound, outbound, _ in
            let initialCredit = min(expected, 100_000)
            try await outbound.write(.text(#"{"credit":\#(initialCredit)}"#))
            ready()
            var result = Result()
            result.latencies.reserveCapacity(expected)
            var acks: [UInt64] = []
            var lastAck = monotonicNanoseconds()
            var credited = initialCredit
            var frames = inbound.makeAsyncIterator()
            func flush() async throws {
                guard !acks.isEmpty else { return }
                var text = #"{"ack":["#
                for (position, sequence) in acks.enumerated() {
                    if position > 0 { text += "," }
                    text += String(sequence)
                }
                text += "]}"
                acks.removeAll(keepingCapacity: true)
                lastAck = monotonicNanoseconds()
                try await outbound.write(.text(text))
            }
            let stop = Locked(false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while monotonicNanoseconds() < deadline() { try await Task.sleep(for: .milliseconds(50)) }
                    stop.value = true
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                while result.received < expected {
                    guard let frame = try await frames.next() else { break }
                    guard frame.opcode == .text || frame.opcode == .binary else { continue }
                    let now = monotonicNanoseconds()
                    let parsed: (stamp: UInt64?, index: UInt64?, sequence: UInt64?) = frame.data.withUnsafeReadableBytes { raw in
                        (FrameScan.number(after: #""t":""#, in: raw), FrameScan.number(after: #""k":""#, in: raw),
                         FrameScan.number(after: #""sequence":""#, in: raw))
                    }
                    guard let stamp = parsed.stamp, let index = parsed.index, let sequence = parsed.sequence else {
                        result.errors += 1
                        if result.firstError == nil { result.firstError = String(buffer: frame.data) }
                        continue
                    }
                    result.received += 1
                    if index >= skipBelow { result.latencies.append(now &- stamp) }
                    acks.append(sequence)
                    if acks.count >= 256 || now - lastAck > 5_000_000 { try await flush() }
                    if result.received + 10_000 > credited, credited < expected {
                        let more = min(10_000, expected - credited)
                        credited += more
                        try await outbound.write(.text(#"{"credit":\#(more)}"#))
                    }
                }
                if !stop.value {
                    try await flush()
                }
                group.cancelAll()
            }
            outcome.value = result
            try? await outbound.close(.normalClosure, reason: nil)
        }
        guard let result = outcome.value else { throw Failure(description: "the subscription stream ended early") }
        return result
    }
}
