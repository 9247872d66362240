import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The soak's auditor: each ``replay(recorder:)`` streams `GET /v1/replay` from the sequence
/// after the last one the previous replay saw (the `exchange-last-sequence` header), with the
/// auditor token of a started daemon, or as the consuming department for `--url`.
struct SoakReplayer {
    /// One replay's figures.
    struct Replay: Sendable {
        var fromSequence: UInt64
        var lastSequence: UInt64?
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
            replay.lastSequence = response.headers.first(name: "exchange-last-sequence").flatMap { UInt64($0) }
            for try await chunk in response.body {
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
            if let last = replay.lastSequence { nextSequence = last + 1 }
        } catch {
            replay.error = "\(error)"
            recorder.failed("replay from \(replay.fromSequence): \(error)")
        }
        replay.seconds = Double(monotonicNanoseconds() - start) / 1e9
        recorder.replayed(replay.events, seconds: replay.seconds)
        try? await client.shutdown()
        return replay
    }
}
