import ArgumentParser
import ExchangeModel
import ExchangeStore
import Foundation
import Logging

/// `exchange-bench growth`: years of traffic in minutes. Appends events through the store with
/// retention removing the oldest beyond a window, and reports each million's figures, to show
/// that latency and the data file stay flat once the window is full.
struct GrowthBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "growth",
        abstract: "Append many events with retention running; report each million's latency, file size and retention work.",
        discussion: """
            Events of 1 KiB (--size) with random UUID ids go to --topics topics from --concurrency \
            publishers keeping --pipeline appends in flight. Each topic keeps its newest \
            --retain-events / --topics events (max_events); a retention task removes the rest in \
            steps of --step-events, as the daemon's retention service does. Per million events: \
            throughput, p99, p99.9 and slowest append, the data file's size, the deduplication \
            index's memory and the events removed per second (--dedup-horizon bounds that \
            memory). --json prints the run's summary: \
            the second and last million's figures (the first includes the map's first growth), \
            the peak file size, and every million's row.
            """)

    @Option(help: "Events to append.")
    var events = 30_000_000

    @Option(help: "Events the topics keep together (the retention window).")
    var retainEvents = 5_000_000

    @Option(help: "Topics the events are spread over.")
    var topics = 8

    @Option(help: "Concurrent publishers.")
    var concurrency = 64

    @Option(help: "Appends each publisher keeps in flight.")
    var pipeline = 8

    @Option(help: "Payload bytes per event.")
    var size = 1024

    @Option(help: "Consumers each event is routed to.")
    var routes = 2

    @Option(help: "Events one retention step removes at most.")
    var stepEvents = 2_000

    @Option(help: "Events per reported row.")
    var rowEvents = 1_000_000

    @Option(help: "Seconds a repeated message id is recognised (store.dedup_horizon, here without its one-day minimum); default: forever.")
    var dedupHorizon: Int?

    @Option(help: "Data directory (default: a new temporary directory, removed afterwards).")
    var directory: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard events >= 1, events <= 1_000_000_000 else { throw ValidationError("--events must be from 1 to 1000000000") }
        guard retainEvents >= 1, retainEvents <= events else { throw ValidationError("--retain-events must be from 1 to --events") }
        guard topics >= 1, topics <= 1_000 else { throw ValidationError("--topics must be from 1 to 1000") }
        guard concurrency >= 1, concurrency <= 10_000 else { throw ValidationError("--concurrency must be from 1 to 10000") }
        guard pipeline >= 1, pipeline <= 4096 else { throw ValidationError("--pipeline must be from 1 to 4096") }
        guard size >= 0, size <= 900_000 else { throw ValidationError("--size must be from 0 to 900000") }
        guard routes >= 0, routes <= 100 else { throw ValidationError("--routes must be from 0 to 100") }
        guard stepEvents >= 1, stepEvents <= 100_000 else { throw ValidationError("--step-events must be from 1 to 100000") }
        guard rowEvents >= 1_000, rowEvents <= events else { throw ValidationError("--row-events must be from 1000 to --events") }
        if let dedupHorizon, dedupHorizon < 1 || dedupHorizon > 100 * 366 * 86_400 {
            throw ValidationError("--dedup-horizon must be from 1 to 3162240000 seconds")
        }
    }

    /// One row: a block of `rowEvents` appends.
    struct Row {
        var upTo: Int
        var seconds: Double
        var latency: LatencySummary
        var fileBytes: UInt64
        var usedBytes: Int
        var dedupFilterBytes: Int
        var dedupRecent: Int
        var removed: Int
        var retainedEvents: UInt64

        var dictionary: [String: Any] {
            [
                "events": upTo, "events_per_second": Double(latency.count) / seconds, "p99_ms": latency.p99, "p999_ms": latency.p999,
                "max_ms": latency.max, "file_bytes": fileBytes, "used_bytes": usedBytes, "dedup_filter_bytes": dedupFilterBytes,
                "dedup_recent_entries": dedupRecent, "removed_per_second": Double(removed) / seconds, "retained_events": retainedEvents,
            ]
        }
    }

    func run() async throws {
        let path = directory ?? (NSTemporaryDirectory() + "exchange-bench-growth-" + UUID().uuidString)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: path) } }
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        var configuration = StoreConfiguration(directory: path, initialMapSize: 1 << 30, maxMapSize: 256 << 30)
        configuration.dedupHorizon = dedupHorizon.map { .seconds($0) }
        let store = try ExchangeStore(configuration: configuration, logger: logger)
        let topicNames = (0..<topics).map { "licence.region\($0).issued" }
        let perTopic = UInt64(max(1, retainEvents / topics))
        let rules = topicNames.map { RetentionRule(topic: $0, policy: RetentionPolicy(maxEvents: perTopic)) }
        let routeList = (0..<routes).map { StoredRoute(consumer: "consumer-\($0)", agreement: "agreement-\($0)", agreementVersion: 1) }
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let removed = Counter()

        // Retention as the daemon runs it: steps back to back while there is more, a pause
        // between steps and between rounds.
        let retention = Task {
            var waitingSince: UInt64?
            while !Task.isCancelled {
                let flushing = waitingSince.map { monotonicNanoseconds() - $0 > 1_000_000_000 } ?? false
                let now = UInt64(Date().timeIntervalSince1970 * 1e9)
                guard let report = try? await store.expire(rules, now: now, budget: stepEvents, flushing: flushing) else { return }
                removed.add(report.removed)
                waitingSince = report.waiting && !flushing ? (waitingSince ?? monotonicNanoseconds()) : nil
                try? await Task.sleep(for: report.more ? .milliseconds(2) : .milliseconds(100))
            }
        }

        if !json {
            print("appending \(events) events of \(size) bytes over \(topics) topics, keeping the newest \(retainEvents)...")
            print(" events   events/s   p99 ms  p99.9 ms   max ms   file MiB  dedup KiB  removed/s  retained")
        }
        var rows: [Row] = []
        var appended = 0
        while appended < events {
            let block = min(rowEvents, events - appended)
            let requests: [AppendRequest] = (0..<block).map { index in
                AppendRequest(
                    envelope: Envelope(
                        id: UUID().uuidString, source: "market-regulation", type: "licence.issued",
                        topic: topicNames[(appended + index) % topicNames.count], subject: "L\(appended + index)", data: payload),
                    routes: routeList)
            }
            let shares = (0..<concurrency).map { publisher in stride(from: publisher, to: block, by: concurrency).map { requests[$0] } }
            let removedBefore = removed.value
            let started = monotonicNanoseconds()
            let timings = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for share in shares {
                    group.addTask { try await Self.publish(share, store: store, pipeline: pipeline) }
                }
                return try await group.reduce(into: [UInt64]()) { $0 += $1 }
            }
            let seconds = Double(monotonicNanoseconds() - started) / 1e9
            appended += block
            let memory = try await store.deduplicationMemory()
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
            let retained = try topicNames.reduce(UInt64(0)) { $0 + (try store.retainedCount(topic: $1)) }
            let row = Row(
                upTo: appended, seconds: seconds, latency: LatencySummary(nanoseconds: timings),
                fileBytes: (attributes?[.size] as? NSNumber)?.uint64Value ?? 0, usedBytes: store.statistics().usedBytes,
                dedupFilterBytes: memory.filterBytes, dedupRecent: memory.recentEntries, removed: removed.value - removedBefore,
                retainedEvents: retained)
            rows.append(row)
            if !json {
                print(
                    String(
                        format: "%7.1fM %10.0f %8.2f %9.2f %8.1f %10.0f %10.0f %10.0f %9llu", Double(appended) / 1e6,
                        Double(block) / seconds, row.latency.p99, row.latency.p999, row.latency.max, Double(row.fileBytes) / 1_048_576,
                        Double(row.dedupFilterBytes) / 1024, Double(row.removed) / seconds, row.retainedEvents))
            }
        }
        retention.cancel()
        _ = await retention.result
        store.close()

        let peak = rows.map(\.fileBytes).max() ?? 0
        if json {
            var summary: [String: Any] = [
                "events": events, "retain_events": retainEvents, "topics": topics, "size": size, "pipeline": pipeline,
                "concurrency": concurrency, "peak_file_bytes": peak, "rows": rows.map(\.dictionary),
            ]
            summary["second"] = rows.count > 1 ? rows[1].dictionary : rows.first?.dictionary
            summary["last"] = rows.last?.dictionary
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("peak data file: \(peak / 1_048_576) MiB")
        }
    }

    /// Appends `requests` keeping up to `pipeline` in flight; returns each one's latency (ns).
    private static func publish(_ requests: [AppendRequest], store: ExchangeStore, pipeline: Int) async throws -> [UInt64] {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(requests.count)
        try await withThrowingTaskGroup(of: UInt64.self) { group in
            var next = 0
            func add() {
                let request = requests[next]
                next += 1
                group.addTask {
                    let start = monotonicNanoseconds()
                    _ = try await store.append(request)
                    return monotonicNanoseconds() - start
                }
            }
            while next < min(pipeline, requests.count) { add() }
            while let latency = try await group.next() {
                latencies.append(latency)
                if next < requests.count { add() }
            }
        }
        return latencies
    }

    /// A count shared between the retention task and the rows.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        func add(_ count: Int) { lock.withLock { total += count } }
        var value: Int { lock.withLock { total } }
    }
}
