import HummingbirdWSClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// Publishes over `WS /v1/publish`: frames are sent while fewer than `window` replies are
/// outstanding, and each reply's `index` gives the frame it answers.
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

    let url: String
    let tls: TLSConfiguration
    let event: BenchEvent
    let timeoutSeconds: Int

    /// Publishes events `first..<first+count` on one connection.
    /// - Parameters:
    ///   - window: the most events awaiting a reply.
    ///   - batch: events per frame; above 1, each frame is a batch (a JSON array).
    ///   - schedule: when given, frame k is not sent before `schedule(k)` (monotonic ns), and is
    ///     stamped with that time rather than the send time.
    func run(first: Int, count: Int, window: Int, batch: Int = 1, schedule: (@Sendable (Int) -> UInt64)? = nil) async throws -> Result {
        let frameCount = (count + batch - 1) / batch
        @Sendable func eventCount(inFrame frame: Int) -> Int { min(batch, count - frame * batch) }
        let times = SendTimes(count: frameCount)
        let event = self.event
        let timeout = self.timeoutSeconds
        var logger = Logger(label: "exchange-bench.ws")
        logger.logLevel = .critical
        let outcome = Locked<Result?>(nil)
        let releaseEvery = max(1, min(64, window / 4))
        try await WebSocketClient.connect(
            url: url + "/v1/publish", configuration: .init(maxFrameSize: 1 << 21, sniHostname: "localhost"),
            tlsConfiguration: tls, logger: logger
        ) { inbound, outbound, _ in
            let (released, releases) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .unbounded)
            try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    var acknowledged = 0
                    var iterator = released.makeAsyncIterator()
                    let allocator = ByteBufferAllocator()
                    var sent = 0
                    for k in 0..<frameCount {
                        while sent - acknowledged >= window {
                            guard let more = await iterator.next() else { return nil }
                            acknowledged += more
                        }
                        let stamp: UInt64
                        if let schedule {
                            stamp = schedule(k)
                            let now = monotonicNanoseconds()
                            if stamp > now + 50_000 { try await Task.sleep(nanoseconds: stamp - now) }
                        } else {
                            stamp = monotonicNanoseconds()
                        }
                        times.slots[k] = stamp
                        let time = schedule == nil ? 0 : stamp
                        let firstEvent = first + k * batch
                        let frame =
                            batch == 1
                            ? event.buffer(index: firstEvent, time: time, allocator: allocator)
                            : event.batchBuffer(indices: firstEvent..<firstEvent + eventCount(inFrame: k), time: time, allocator: allocator)
                        try await outbound.write(.binary(frame))
                        sent += eventCount(inFrame: k)
                    }
                    return nil
                }
                group.addTask {
                    var result = Result()
                    result.latencies.reserveCapacity(count)
                    var received = 0
                    var unreleased = 0
                    var frames = inbound.makeAsyncIterator()
                    while received < count {
                        guard let frame = try await frames.next() else {
                            throw Failure(description: "the server closed the publish stream after \(received) replies")
                        }
                        guard frame.opcode == .text || frame.opcode == .binary else { continue }
                        let now = monotonicNanoseconds()
                        // One frame holds one or more answer lines, each for one frame sent.
                        let answered = frame.data.withUnsafeReadableBytes { raw in
                            var events = 0
                            var start = 0
                            while start < raw.count {
                                let end = raw[start...].firstIndex(of: UInt8(ascii: "\n")) ?? raw.count
                                let line = UnsafeRawBufferPointer(rebasing: raw[start..<end])
                                start = end + 1
                                let index = FrameScan.number(after: #""index":"#, in: line).map(Int.init) ?? -1
                                let answered = index >= 0 && index < frameCount ? eventCount(inFrame: index) : 1
                                events += answered
                                if FrameScan.contains(#""error":"#, in: line) {
                                    result.errors += answered
                                    if result.firstError == nil { result.firstError = String(decoding: line, as: UTF8.self) }
                                } else if index >= 0, index < frameCount {
                                    let latency = now &- times.slots[index]
                                    for _ in 0..<answered { result.latencies.append(latency) }
                                }
                            }
                            return events
                        }
                        received += answered
                        unreleased += answered
                        if unreleased >= releaseEvery || received == count {
                            releases.yield(unreleased)
                            unreleased = 0
                        }
                    }
                    releases.finish()
                    return result
                }
                group.addTask {
                    let seconds = timeout + (schedule.map { Int((Double($0(count) &- $0(0)) / 1e9).rounded(.up)) } ?? count / 10_000)
                    try await Task.sleep(for: .seconds(seconds))
                    throw Failure(description: "replies did not arrive within \(seconds) s")
                }
                while let finished = try await group.next() {
                    if let result = finished {
                        outcome.value = result
                        break
                    }
                }
                group.cancelAll()
                releases.finish()
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
        guard let result = outcome.value else { throw Failure(description: "the publish stream ended early") }
        return result
    }
}
