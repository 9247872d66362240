import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The daemon's group-commit writer over a run, from the counters its `/metrics` serves:
/// commits, operations per commit, how busy the writer thread was and how much of that was CPU.
///
/// The writer is the one serial stage of every write, so these say which limit a run met: a
/// writer busy near 100% of the run caps throughput; CPU near its busy time means commits cost
/// computing (LMDB, the kernel copying and writing back pages), far below means the disk.
struct WriterFigures: Equatable {
    /// Commits since the daemon started (`exchange_commit_batch_size_count`).
    var commits: Double
    /// Operations in them (`exchange_commit_batch_size_sum`).
    var operations: Double
    /// Seconds the writer spent applying and committing (`exchange_writer_seconds_total`).
    var busySeconds: Double
    /// CPU seconds it used meanwhile (`exchange_writer_cpu_seconds_total`).
    var cpuSeconds: Double
    /// Deduplication merges (`exchange_dedup_merges_total`); 0 when not exported.
    var dedupMerges: Double = 0
    /// Seconds the writer spent in them (`exchange_dedup_merge_seconds_total`); 0 when not exported.
    var dedupMergeSeconds: Double = 0

    /// Reads the figures from an exposition; `nil` when a counter is missing (a daemon that
    /// does not export it).
    static func parse(_ exposition: String) -> WriterFigures? {
        var commits: Double?
        var operations: Double?
        var busy: Double?
        var cpu: Double?
        var merges = 0.0
        var mergeSeconds = 0.0
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let name = line[..<space]
            switch name {
            case "exchange_commit_batch_size_count": commits = value
            case "exchange_commit_batch_size_sum": operations = value
            case "exchange_writer_cpu_seconds_total": cpu = value
            case "exchange_dedup_merges_total": merges = value
            case "exchange_dedup_merge_seconds_total": mergeSeconds = value
            default:
                if name.hasPrefix("exchange_writer_seconds_total{") { busy = (busy ?? 0) + value }
            }
        }
        guard let commits, let operations, let busy, let cpu else { return nil }
        return WriterFigures(
            commits: commits, operations: operations, busySeconds: busy, cpuSeconds: cpu, dedupMerges: merges, dedupMergeSeconds: mergeSeconds)
    }

    /// Scrapes `daemon`'s `/metrics` with the publisher's TLS configuration; `nil` when that
    /// fails, so that a run against a daemon without these counters still reports the rest.
    static func scrape(_ daemon: BenchDaemon, timeoutSeconds: Int) async -> WriterFigures? {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: daemon.publisher))
        var figures: WriterFigures?
        do {
            let response = try await client.execute(HTTPClientRequest(url: daemon.baseURL + "/metrics"), timeout: .seconds(Int64(timeoutSeconds)))
            if response.status == .ok {
                figures = parse(String(buffer: try await response.body.collect(upTo: 4 << 20)))
            }
        } catch {
            figures = nil
        }
        try? await client.shutdown()
        return figures
    }

    /// Adds, for the span from `start` to `self` lasting `seconds`: `commits_per_s`,
    /// `ops_per_commit`, `writer_busy` (the share of the span the writer was applying or
    /// committing), `writer_cpu_share` (the share of that busy time that was CPU) and
    /// `writer_cpu_us_per_commit`, and `dedup_merges` with `dedup_merge_s` (the writer's time
    /// in them), so that a latency tail can be matched with a merge in its span. With `prefix`
    /// (e.g. `quiet_`) the keys carry it.
    func report(since start: WriterFigures, seconds: Double, into report: inout EndToEndReport, prefix: String = "") {
        let commits = self.commits - start.commits
        guard commits > 0, seconds > 0 else { return }
        let busy = busySeconds - start.busySeconds
        let cpu = cpuSeconds - start.cpuSeconds
        report.add(prefix + "commits_per_s", (commits / seconds).rounded())
        report.add(prefix + "ops_per_commit", EndToEndReport.round((operations - start.operations) / commits, places: 10))
        report.add(prefix + "writer_busy", EndToEndReport.round(busy / seconds))
        if busy > 0 { report.add(prefix + "writer_cpu_share", EndToEndReport.round(cpu / busy)) }
        report.add(prefix + "writer_cpu_us_per_commit", (cpu / commits * 1e6).rounded())
        report.add(prefix + "dedup_merges", Int(dedupMerges - start.dedupMerges))
        report.add(prefix + "dedup_merge_s", EndToEndReport.round(dedupMergeSeconds - start.dedupMergeSeconds))
    }
}
