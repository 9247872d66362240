import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The soak's auditor: each ``replay(recorder:)`` streams `GET /v1/replay` from the sequence
/// after the last event the previous replay received, with the auditor token of a started
/// daemon, or as the consuming department for `--url`.
///
/// A replay streams to the end of the log as it is when the replay ends, past the
/// `exchange-last-sequence` of its start, so the next one starts after the `sequence` of the
/// last line received (the header's sequence when that line cannot be read).
struct SoakReplayer {
    /// One replay's figures.
    struct Replay: Sendable {
        var fromSequence: UInt64
        /// The sequence of the last event received.
        var lastSequence: UInt64?
        /// The `exchange-last-sequence` header: the store's last sequence when the replay began.
        var headerSequence: UInt64?
        var events = 0
        var bytes = 0
        var seconds = 0.0
        var error: String?

        var dictionary: [String: Any] {
            var object: [String: Any] = [
                "from_seq": Int(clamping: fromSequence), "events": events, "bytes": bytes, "seconds": EndToEndReport.round(seconds),
                "events_per_s": seconds > 0 ? (Double(events) / seconds).rounded() : 0,
            ]
            if let lastSequence { object["last_sequence"] = Int(clamping: lastSequence) }
            if let headerSequence { object["header_sequence"] = Int(clamping: headerSequence) }
            if let error { object["error"] = error }
            return object
        }
    }

    let daemon: BenchDaemon
    let timeoutSeconds: Int
    private var nextSequence: UInt64 = 0

    init(daemon: BenchDaemon, timeoutSeconds: Int) {
        self.daemon = daemon
        self.timeoutSeconds = timeoutSeconds
    }

    /// Replays what arrived since the previous replay (everything, the first time), counting
    /// the NDJSON lines; reports the count and the time to `recorder`.
    mutating func replay(recorder: SoakRecorder) async -> Replay {
        var replay = Replay(fromSequence: nextSequence)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: daemon.auditor?.tls ?? daemon.consumer))
        let start = monotonicNanoseconds()
        do {
            var request = HTTPClientRequest(url: daemon.baseURL + "/v1/replay?from_seq=\(nextSequence)")
            if let auditor = daemon.auditor { request.headers.add(name: "authorization", value: "Bearer " + auditor.token) }
            // The whole replay must end within this; it is one request however long.
            let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds) * 10))
            guard response.status == .ok else {
                let body = try await response.body.collect(upTo: 1 << 20)
                throw SubscriptionStreamReader.Failure(description: "replay refused: \(response.status.code) \(String(buffer: body))")
            }
            replay.headerSequence = response.headers.first(name: "exchange-last-sequence").flatMap { UInt64($0) }
            // The last two chunks, which hold the last line unless it is longer than a chunk.
            var previous = ByteBuffer()
            var last = ByteBuffer()
            for try await chunk in response.body {
                previous = last
                last = chunk
                replay.bytes += chunk.readableBytes
                replay.events += chunk.withUnsafeReadableBytes { raw in
                    var found = 0
                    var position = raw.baseAddress
                    var remaining = raw.count
                    while remaining > 0, let from = position, let hit = memchr(from, 0x0A, remaining) {
                        found += 1
                        let next = UnsafeRawPointer(hit) + 1
                        remaining -= next - from
                        position = next
                    }
                    return found
                }
            }
            var ending = previous
            ending.writeImmutableBuffer(last)
            replay.lastSequence = ending.withUnsafeReadableBytes { Self.lastSequence(in: $0) } ?? replay.headerSequence
            if let sequence = replay.lastSequence { nextSequence = sequence + 1 }
        } catch {
            replay.error = "\(error)"
            recorder.failed("replay from \(replay.fromSequence): \(error)")
        }
        replay.seconds = Double(monotonicNanoseconds() - start) / 1e9
        recorder.replayed(replay.events, seconds: replay.seconds)
        try? await client.shutdown()
        return replay
    }

    /// The number in the last `"sequence":"N"` of `raw`, or nil.
    static func lastSequence(in raw: UnsafeRawBufferPointer) -> UInt64? {
        let key: StaticString = #""sequence":""#
        let needle = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var found: UInt64?
        var offset = 0
        while offset < raw.count, let hit = FrameScan.find(needle, in: UnsafeRawBufferPointer(rebasing: raw[offset...])) {
            found = FrameScan.number(after: key, in: UnsafeRawBufferPointer(rebasing: raw[(offset + hit)...])) ?? found
            offset += hit + needle.count
        }
        return found
    }
}
