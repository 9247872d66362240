import ArgumentParser
import ExchangeModel
import ExchangeStore
import Foundation
import Logging

/// `exchange-bench store`: durable appends through the group-commit API, then reads by topic.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Append events durably from concurrent publishers, then read them back by topic.")

    @Option(help: "Events to append.")
    var count = 200_000

    @Option(help: "Concurrent publishers.")
    var concurrency = 64

    @Option(help: "Appends each publisher keeps in flight (1 = wait for each acknowledgement).")
    var pipeline = 1

    @Option(help: "Payload bytes per event.")
    var size = 1024

    @Option(help: "Topics the events are spread over.")
    var topics = 8

    @Option(help: "Consumers each event is routed to (inbox entries per event).")
    var routes = 2

    @Option(help: "Data directory (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        guard count > 0, concurrency > 0, pipeline > 0 else { throw ValidationError("count, concurrency and pipeline must be positive") }
        let path = directory ?? (NSTemporaryDirectory() + "exchange-bench-store-" + UUID().uuidString)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: path) } }
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: path, initialMapSize: 4 << 30, maxMapSize: 64 << 30), logger: logger)

        let topicNames = (0..<topics).map { "licence.region\($0).issued" }
        let routeList = (0..<routes).map {
            StoredRoute(consumer: "consumer-\($0)", agreement: "agreement-\($0)", agreementVersion: 1)
        }
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let requests: [AppendRequest] = (0..<count).map { index in
            AppendRequest(
                envelope: Envelope(
                    id: UUID().uuidString, source: "market-regulation", type: "licence.issued",
                    topic: topicNames[index % topicNames.count], subject: "L\(index)", data: payload),
                routes: routeList)
        }

        if !json { print("appending \(count) events of \(size) bytes from \(concurrency) publishers (pipeline \(pipeline))...") }
        let started = monotonicNanoseconds()
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for publisher in 0..<concurrency {
                group.addTask {
                    let mine = stride(from: publisher, to: count, by: concurrency).map { requests[$0] }
                    return try await Self.publish(mine, store: store, pipeline: pipeline)
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        let appendSeconds = Double(monotonicNanoseconds() - started) / 1e9
        let summary = LatencySummary(nanoseconds: latencies)
        let meanBatch = Double(store.committedOperations) / Double(max(1, store.commits))

        if !json { print("reading back by topic (two passes: the first maps the pages in, the second is warm)...") }
        var passes: [(events: Int, bytes: Int, seconds: Double)] = []
        for _ in 0..<2 {
            let readStarted = monotonicNanoseconds()
            var readCount = 0
            var readBytes = 0
            for topic in topicNames {
                var from: UInt64 = 1
                while true {
                    var visited = 0
                    from = try store.scanTopic(topic, from: from, limit: 65_536) { view in
                        visited += 1
                        readBytes += view.record.count
                        return true
                    }
                    readCount += visited
                    if visited < 65_536 { break }
                }
            }
            passes.append((readCount, readBytes, Double(monotonicNanoseconds() - readStarted) / 1e9))
            guard readCount == count else {
                throw ValidationError("read back \(readCount) events, expected \(count)")
            }
        }
        let statistics = store.statistics()
        let writerTime = store.writerTime
        store.close()

        let appendRate = Double(count) / appendSeconds
        let megabytesPerSecond = Double(count * size) / appendSeconds / 1_048_576
        let coldRate = Double(passes[0].events) / passes[0].seconds
        let readRate = Double(passes[1].events) / passes[1].seconds
        let readMegabytes = Double(passes[1].bytes) / passes[1].seconds / 1_048_576
        if json {
            let object: [String: Any] = [
                "mode": "store", "count": count, "concurrency": concurrency, "pipeline": pipeline, "size": size,
                "topics": topics, "routes": routes,
                "append_events_per_s": appendRate.rounded(), "append_mb_per_s": (megabytesPerSecond * 10).rounded() / 10,
                "read_events_per_s": readRate.rounded(), "read_mb_per_s": readMegabytes.rounded(),
                "read_cold_events_per_s": coldRate.rounded(),
                "p50_ms": summary.p50, "p99_ms": summary.p99, "p999_ms": summary.p999, "max_ms": summary.max,
                "commits": store.commits, "mean_batch": (meanBatch * 10).rounded() / 10,
                "store_bytes": statistics.usedBytes,
                "writer_apply_s": Double(writerTime.applying) / 1e9, "writer_commit_s": Double(writerTime.committing) / 1e9,
                "writer_cpu_s": Double(writerTime.cpu) / 1e9,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "append: %.0f events/s, %.1f MB/s, %d commits, mean batch %.1f", appendRate, megabytesPerSecond, store.commits, meanBatch))
            print(String(format: "append latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms", summary.p50, summary.p99, summary.p999, summary.max))
            print(String(format: "read by topic: %.0f events/s, %.0f MB/s warm; %.0f events/s on the first pass", readRate, readMegabytes, coldRate))
            print("store size: \(statistics.usedBytes / 1_048_576) MiB")
            print(
                String(
                    format: "writer: %.2f s applying, %.2f s committing, %.2f s of CPU", Double(writerTime.applying) / 1e9,
                    Double(writerTime.committing) / 1e9, Double(writerTime.cpu) / 1e9))
        }
    }

    /// Appends `requests` in order, keeping up to `pipeline` in flight; returns each latency.
    private static func publish(_ requests: [AppendRequest], store: ExchangeStore, pipeline: Int) async throws -> [UInt64] {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(requests.count)
        if pipeline == 1 {
            for request in requests {
                let start = monotonicNanoseconds()
                _ = try await store.append(request)
                latencies.append(monotonicNanoseconds() - start)
            }
            return latencies
        }
        try await withThrowingTaskGroup(of: UInt64.self) { group in
            var next = 0
            while next < min(pipeline, requests.count) {
                let request = requests[next]
                group.addTask { let start = monotonicNanoseconds(); _ = try await store.append(request); return monotonicNanoseconds() - start }
                next += 1
            }
            while let latency = try await group.next() {
                latencies.append(latency)
                if next < requests.count {
                    let request = requests[next]
                    group.addTask { let start = monotonicNanoseconds(); _ = try await store.append(request); return monotonicNanoseconds() - start }
                    next += 1
                }
            }
        }
        return latencies
    }
}
