import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The soak's background subscriptions: many durable subscriptions of the consuming department
/// on one topic, served over HTTP pull (`GET .../events?max=&wait=`) by a bounded number of
/// workers sharing one `HTTPClient`.
///
/// Every subscription sees every event (the agreement routes the topic to one department, and
/// each subscription reads that inbox from its own position), so a thousand subscriptions that
/// each kept up with 5,000 events/s would be five million deliveries a second. The soak gives
/// each kind a pace instead, and a subscription that does not keep up falls behind in the log
/// (on disk), not in memory:
/// - never-ack: pulls `max` events every `every` seconds and acknowledges none; it stops
///   receiving new events at `max_in_flight`, and its deliveries come back after `ack_wait_ms`
///   until `max_deliver`, then become dead letters;
/// - slow: pulls a few events every few seconds and acknowledges them;
/// - normal: pulls `max` events every `every` seconds, waiting up to `wait` ms when none is
///   ready, and acknowledges each batch in one request.
struct SoakSubscribers: Sendable {
    enum Kind: String, Sendable {
        case neverAck = "never-ack"
        case slow
        case normal
    }

    /// How one kind pulls.
    struct Pace: Sendable {
        var max: Int
        var waitMilliseconds: Int
        var everySeconds: Double
        var acknowledges: Bool
    }

    struct Subscription: Sendable {
        var name: String
        var kind: Kind
    }

    let baseURL: String
    let client: HTTPClient
    let subscriptions: [Subscription]
    let paces: [Kind: Pace]
    let timeoutSeconds: Int

    /// `count` kinds: the first `neverAck` never acknowledge, the next `slow` read slowly, the
    /// rest pull normally.
    static func kinds(count: Int, neverAck: Int, slow: Int) -> [Kind] {
        let neverAck = min(max(0, neverAck), count)
        let slow = min(max(0, slow), count - neverAck)
        return Array(repeating: .neverAck, count: neverAck) + Array(repeating: .slow, count: slow)
            + Array(repeating: .normal, count: count - neverAck - slow)
    }

    /// Every sequence (the `sequence` delivery attribute) in a pull's answer.
    static func sequences(in raw: UnsafeRawBufferPointer) -> [UInt64] {
        var found: [UInt64] = []
        var offset = 0
        let key: StaticString = #""sequence":""#
        while offset < raw.count {
            let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
            let needle = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
            guard let hit = FrameScan.find(needle, in: rest) else { break }
            let tail = UnsafeRawBufferPointer(rebasing: rest[hit...])
            if let sequence = FrameScan.number(after: key, in: tail) { found.append(sequence) }
            offset += hit + needle.count
        }
        return found
    }

    /// Creates every subscription (or updates it, keeping its position), `concurrency` at once.
    func create(filter: String, maxInFlight: Int, concurrency: Int) async throws {
        let body = #"{"filter":""# + filter + #"","start":"new","max_in_flight":\#(maxInFlight)}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, subscription) in subscriptions.enumerated() {
                if index >= concurrency { _ = try await group.next() }
                group.addTask { try await create(subscription.name, body: body) }
            }
            try await group.waitForAll()
        }
    }

    private func create(_ name: String, body: String) async throws {
        var request = HTTPClientRequest(url: baseURL + "/v1/subscriptions/" + name)
        request.method = .PUT
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds)))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok || response.status == .created else {
            throw SubscriptionStreamReader.Failure(description: "creating subscription \(name): \(response.status.code) \(String(buffer: answer))")
        }
    }

    /// Runs `workers` workers until `deadline` (monotonic ns), each serving every
    /// `workers`-th subscription in turn as its pace comes due; reports to `recorder`.
    func run(workers: Int, deadline: UInt64, recorder: SoakRecorder) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<min(workers, subscriptions.count) {
                let mine = Array(stride(from: worker, to: subscriptions.count, by: workers)).map { subscriptions[$0] }
                group.addTask { await serve(mine, deadline: deadline, recorder: recorder) }
            }
        }
    }

    private func serve(_ mine: [Subscription], deadline: UInt64, recorder: SoakRecorder) async {
        let start = monotonicNanoseconds()
        // First pulls spread over each pace, so that the workers do not pull in step.
        var due = mine.map { start + UInt64(Double.random(in: 0..<1) * (paces[$0.kind]?.everySeconds ?? 1) * 1e9) }
        while !Task.isCancelled {
            let now = monotonicNanoseconds()
            guard now < deadline, let next = due.indices.min(by: { due[$0] < due[$1] }) else { return }
            if due[next] > now {
                try? await Task.sleep(nanoseconds: min(due[next], deadline) - now)
                continue
            }
            let subscription = mine[next]
            guard let pace = paces[subscription.kind] else { return }
            await pull(subscription, pace: pace, recorder: recorder)
            due[next] = max(due[next] + UInt64(pace.everySeconds * 1e9), monotonicNanoseconds())
        }
    }

    /// One pull, and the ack of what it brought when the pace acknowledges.
    private func pull(_ subscription: Subscription, pace: Pace, recorder: SoakRecorder) async {
        let path = baseURL + "/v1/subscriptions/" + subscription.name
        do {
            let request = HTTPClientRequest(url: path + "/events?max=\(pace.max)&wait=\(pace.waitMilliseconds)")
            let response = try await client.execute(request, timeout: .seconds(Int64(timeoutSeconds) + Int64(pace.waitMilliseconds / 1000)))
            let body = try await response.body.collect(upTo: 64 << 20)
            guard response.status == .ok else {
                recorder.failed("pull \(subscription.name): \(response.status.code) \(String(buffer: body).prefix(300))")
                return
            }
            let sequences = body.withUnsafeReadableBytes { Self.sequences(in: $0) }
            guard pace.acknowledges, !sequences.isEmpty else {
                recorder.pulled(sequences.count, acked: 0)
                return
            }
            var ack = HTTPClientRequest(url: path + "/ack")
            ack.method = .POST
            ack.headers.add(name: "content-type", value: "application/json")
            ack.body = .bytes(ByteBuffer(string: #"{"sequences":["# + sequences.map(String.init).joined(separator: ",") + "]}"))
            let answer = try await client.execute(ack, timeout: .seconds(Int64(timeoutSeconds)))
            let answerBody = try await answer.body.collect(upTo: 1 << 20)
            guard answer.status == .ok else {
                recorder.pulled(sequences.count, acked: 0)
                recorder.failed("ack \(subscription.name): \(answer.status.code) \(String(buffer: answerBody).prefix(300))")
                return
            }
            recorder.pulled(sequences.count, acked: sequences.count)
        } catch {
            recorder.failed("\(subscription.name): \(error)")
        }
    }

    /// The subscriptions' total pending (delivered, unacknowledged) events and dead letters,
    /// read from `GET /v1/subscriptions/{name}`; nil when a read fails.
    func pendingAndDeadLetters(of names: [String]) async -> (pending: Int, deadLetters: Int)? {
        var pending = 0
        var deadLetters = 0
        for name in names {
            guard let response = try? await client.execute(HTTPClientRequest(url: baseURL + "/v1/subscriptions/" + name), timeout: .seconds(Int64(timeoutSeconds))),
                response.status == .ok, let body = try? await response.body.collect(upTo: 1 << 20),
                let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
            else { return nil }
            pending += (object["pending"] as? Int) ?? 0
            deadLetters += (object["dead_letters"] as? Int) ?? 0
        }
        return (pending, deadLetters)
    }
}
