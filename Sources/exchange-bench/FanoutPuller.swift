import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One subscription of the `fanout` mode served by HTTP pulls: a long poll
/// (`GET .../events?max=&wait=`) answered as soon as events are ready, each event stamped at
/// the end of the answer's body, then the whole batch acknowledged in one `POST .../ack`
/// before the next pull. Under load the batches grow by themselves: what arrives while a pull
/// and its ack are under way is the next pull's answer.
struct FanoutPuller: Sendable {
    let baseURL: String
    let client: HTTPClient
    let name: String
    /// Events per pull at most.
    let max: Int
    /// Milliseconds a pull waits when nothing is ready.
    let waitMilliseconds: Int
    let timeoutSeconds: Int

    /// One event of a pull's answer.
    struct Delivery: Equatable {
        var sequence: UInt64
        /// The event's number (`k` in its data).
        var index: UInt64
        /// Its scheduled publish time (`t` in its data, monotonic ns).
        var stamp: UInt64
    }

    /// The events in a pull's answer (a JSON array of bench events, each with one `sequence`
    /// attribute and one `k` and `t` in its data); nil when the counts of the three differ.
    static func deliveries(in raw: UnsafeRawBufferPointer) -> [Delivery]? {
        let sequences = FrameScan.numbers(after: #""sequence":""#, in: raw)
        let indices = FrameScan.numbers(after: #""k":""#, in: raw)
        let stamps = FrameScan.numbers(after: #""t":""#, in: raw)
        guard sequences.count == indices.count, indices.count == stamps.count else { return nil }
        return sequences.indices.map { Delivery(sequence: sequences[$0], index: indices[$0], stamp: stamps[$0]) }
    }

    /// Pulls until `expected` events arrived or `deadline` (monotonic ns) passes; the
    /// latencies of events numbered `skipBelow` or above are kept.
    func run(expected: Int, skipBelow: Int, deadline: @escaping @Sendable () -> UInt64) async -> SubscriptionStreamReader.Result {
        var result = SubscriptionStreamReader.Result()
        result.latencies.reserveCapacity(expected)
        let path = baseURL + "/v1/subscriptions/" + name
        while result.received < expected, !Task.isCancelled {
            let now = monotonicNanoseconds()
            let end = deadline()
            guard now < end else { break }
            let wait = Swift.min(waitMilliseconds, Int((end - now) / 1_000_000))
            do {
                let request = HTTPClientRequest(url: path + "/events?max=\(max)&wait=\(wait)")
                let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds) + Int64(wait / 1000)))
                let body = try await response.body.collect(upTo: 256 << 20)
                let arrived = monotonicNanoseconds()
                guard response.status == .ok else {
                    failed(&result, "pull \(name): \(response.status.code) \(String(buffer: body).prefix(300))")
                    continue
                }
                guard let deliveries = body.withUnsafeReadableBytes({ Self.deliveries(in: $0) }) else {
                    failed(&result, "pull \(name): an answer without sequence, k and t for each event: \(String(buffer: body).prefix(300))")
                    continue
                }
                guard !deliveries.isEmpty else { continue }
                result.received += deliveries.count
                for delivery in deliveries where delivery.index >= UInt64(clamping: skipBelow) {
                    result.latencies.append(arrived &- delivery.stamp)
                }
                var ack = HTTPClientRequest(url: path + "/ack")
                ack.method = .POST
                ack.headers.add(name: "content-type", value: "application/json")
                ack.body = .bytes(ByteBuffer(string: #"{"sequences":["# + deliveries.map { String($0.sequence) }.joined(separator: ",") + "]}"))
                let answer = try await client.execute(ack, timeout: .seconds(Int64(timeoutSeconds)))
                let answerBody = try await answer.body.collect(upTo: 1 << 20)
                if answer.status != .ok { failed(&result, "ack \(name): \(answer.status.code) \(String(buffer: answerBody).prefix(300))") }
            } catch {
                failed(&result, "\(name): \(error)")
                // A refused connection or a timeout is not retried in a tight loop.
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        return result
    }

    private func failed(_ result: inout SubscriptionStreamReader.Result, _ description: String) {
        result.errors += 1
        if result.firstError == nil { result.firstError = description }
    }
}
