import ArgumentParser
import ExchangeModel
import ExchangeStore
import Foundation
import Logging

/// `exchange-bench store`: durable appends through the group-commit API, then reads by topic.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Append events durably from concurrent publishers, then read them back by topic.",
        discussion: """
            Reports append latency (p50, p99, p99.9 and the slowest append, with when it started), \
            and the write volume of the append phase per event appended: store_bytes_per_event from \
            this process's wchar (/proc/self/io: what LMDB handed the kernel with pwrite and writev) \
            and disk_bytes_per_event from its write_bytes (what reached the block device); null \
            where /proc/self/io cannot be read.
            """)

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

    func validate() throws {
        guard count >= 1, count <= 100_000_000 else { throw ValidationError("--count must be from 1 to 100000000") }
        guard concurrency >= 1, concurrency <= 10_000 else { throw ValidationError("--concurrency must be from 1 to 10000") }
        guard pipeline >= 1, pipeline <= 4096 else { throw ValidationError("--pipeline must be from 1 to 4096") }
        guard size >= 0, size <= 900_000 else { throw ValidationError("--size must be from 0 to 900000") }
        guard topics >= 1, topics <= 10_000 else { throw ValidationError("--topics must be from 1 to 10000") }
        guard routes >= 0, routes <= 1000 else { throw ValidationError("--routes must be from 0 to 1000") }
    }

    func run() async throws {
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
        let ioBefore = ProcessIO.current()
        let started = monotonicNanoseconds()
        let timings = try await withThrowingTaskGroup(of: [AppendTiming].self) { group in
            for publisher in 0..<concurrency {
                group.addTask {
                    let mine = stride(from: publisher, to: count, by: concurrency).map { requests[$0] }
                    return try await Self.publish(mine, store: store, pipeline: pipeline)
                }
            }
            return try await group.reduce(into: [AppendTiming]()) { $0 += $1 }
        }
        let appendSeconds = Double(monotonicNanoseconds() - started) / 1e9
        let ioAfter = ProcessIO.current()
        let slowest = timings.max { $0.nanoseconds < $1.nanoseconds }

        if !json { print("reading back by topic (two passes: the first maps the pages in, the second is warm)...") }
        var passes: [StoreRun.ReadPass] = []
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
            passes.append(StoreRun.ReadPass(events: readCount, bytes: readBytes, seconds: Double(monotonicNanoseconds() - readStarted) / 1e9))
            guard readCount == count else {
                throw ValidationError("read back \(readCount) events, expected \(count)")
            }
        }
        let statistics = store.statistics()
        let writerTime = store.writerTime
        let commits = store.commits
        let committedOperations = store.committedOperations
        store.close()

        let result = StoreRun(
            count: count, concurrency: concurrency, pipeline: pipeline, size: size, topics: topics, routes: routes,
            appendSeconds: appendSeconds, latency: LatencySummary(nanoseconds: timings.map(\.nanoseconds)),
            slowestAtSeconds: slowest.map { Double($0.start &- started) / 1e9 } ?? 0,
            commits: Int(commits), committedOperations: Int(committedOperations), reads: (passes[0], passes[1]),
            usedBytes: statistics.usedBytes, writerApplyingNanoseconds: writerTime.applying,
            writerCommittingNanoseconds: writerTime.committing, writerCPUNanoseconds: writerTime.cpu,
            dedupMerges: statistics.dedupMerges, dedupMergeNanoseconds: statistics.dedupMergeNanoseconds, io: (ioBefore, ioAfter))
        if json {
            let data = try JSONSerialization.data(withJSONObject: result.dictionary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for line in result.lines { print(line) }
        }
    }

    /// When one append was called (monotonic ns) and how long it took to be answered.
    typealias AppendTiming = (start: UInt64, nanoseconds: UInt64)

    /// Appends `requests` in order, keeping up to `pipeline` in flight; returns each one's timing.
    private static func publish(_ requests: [AppendRequest], store: ExchangeStore, pipeline: Int) async throws -> [AppendTiming] {
        var latencies: [AppendTiming] = []
        latencies.reserveCapacity(requests.count)
        if pipeline == 1 {
            for request in requests {
                let start = monotonicNanoseconds()
                _ = try await store.append(request)
                latencies.append((start, monotonicNanoseconds() - start))
            }
            return latencies
        }
        try await withThrowingTaskGroup(of: AppendTiming.self) { group in
            var next = 0
            while next < min(pipeline, requests.count) {
                let request = requests[next]
                group.addTask { let start = monotonicNanoseconds(); _ = try await store.append(request); return (start, monotonicNanoseconds() - start) }
                next += 1
            }
            while let latency = try await group.next() {
                latencies.append(latency)
                if next < requests.count {
                    let request = requests[next]
                    group.addTask { let start = monotonicNanoseconds(); _ = try await store.append(request); return (start, monotonicNanoseconds() - start) }
                    next += 1
                }
            }
        }
        return latencies
    }
}
