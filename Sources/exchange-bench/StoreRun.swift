import Foundation

/// What one `exchange-bench store` run measured, and its two renderings: the JSON object of
/// `--json` and the text lines otherwise.
struct StoreRun {
    /// One read-back pass over every topic.
    struct ReadPass {
        var events: Int
        var bytes: Int
        var seconds: Double
    }

    var count: Int
    var concurrency: Int
    var pipeline: Int
    var size: Int
    var topics: Int
    var routes: Int
    /// Seconds from the first append to the last acknowledgement.
    var appendSeconds: Double
    /// Append latency, from the call to its durable answer.
    var latency: LatencySummary
    /// When the slowest append started, in seconds from the first append.
    var slowestAtSeconds: Double
    var commits: Int
    var committedOperations: Int
    /// The cold pass (pages mapped in) and the warm one.
    var reads: (cold: ReadPass, warm: ReadPass)
    var usedBytes: Int
    var writerApplyingNanoseconds: UInt64
    var writerCommittingNanoseconds: UInt64
    var writerCPUNanoseconds: UInt64
    var dedupMerges: UInt64
    var dedupMergeNanoseconds: UInt64
    /// This process's I/O counters just before the first append and just after the last
    /// acknowledgement; nil where `/proc/self/io` cannot be read.
    var io: (before: ProcessIO?, after: ProcessIO?)

    var appendRate: Double { Double(count) / appendSeconds }
    var appendMegabytesPerSecond: Double { Double(count * size) / appendSeconds / 1_048_576 }
    var meanBatch: Double { Double(committedOperations) / Double(max(1, commits)) }
    var coldRate: Double { Double(reads.cold.events) / reads.cold.seconds }
    var readRate: Double { Double(reads.warm.events) / reads.warm.seconds }
    var readMegabytesPerSecond: Double { Double(reads.warm.bytes) / reads.warm.seconds / 1_048_576 }

    /// Store bytes (`wchar`: what LMDB handed the kernel) and disk bytes (`write_bytes`: what
    /// reached the block device) per event appended, over the append phase only.
    var writeVolume: (store: Double, disk: Double)? {
        guard let before = io.before, let after = io.after else { return nil }
        return after.perEvent(since: before, events: count)
    }

    /// The `--json` object. Latency keys are `p50_ms`, `p99_ms`, `p999_ms` and `max_ms` (the
    /// slowest append), with `max_at_s`; a write volume that cannot be read is null.
    var dictionary: [String: Any] {
        let volume = writeVolume
        return [
            "mode": "store", "count": count, "concurrency": concurrency, "pipeline": pipeline, "size": size,
            "topics": topics, "routes": routes,
            "append_events_per_s": appendRate.rounded(), "append_mb_per_s": (appendMegabytesPerSecond * 10).rounded() / 10,
            "read_events_per_s": readRate.rounded(), "read_mb_per_s": readMegabytesPerSecond.rounded(),
            "read_cold_events_per_s": coldRate.rounded(),
            "p50_ms": latency.p50, "p99_ms": latency.p99, "p999_ms": latency.p999, "max_ms": latency.max,
            "max_at_s": EndToEndReport.round(slowestAtSeconds),
            "commits": commits, "mean_batch": (meanBatch * 10).rounded() / 10,
            "store_bytes": usedBytes,
            "store_bytes_per_event": EndToEndReport.orNull(volume.map { EndToEndReport.round($0.store, places: 10) }),
            "disk_bytes_per_event": EndToEndReport.orNull(volume.map { EndToEndReport.round($0.disk, places: 10) }),
            "writer_apply_s": Double(writerApplyingNanoseconds) / 1e9, "writer_commit_s": Double(writerCommittingNanoseconds) / 1e9,
            "writer_cpu_s": Double(writerCPUNanoseconds) / 1e9,
            "dedup_merges": Int(dedupMerges), "dedup_merge_s": EndToEndReport.round(Double(dedupMergeNanoseconds) / 1e9),
        ]
    }

    /// The text report.
    var lines: [String] {
        var lines = [
            String(format: "append: %.0f events/s, %.1f MB/s, %d commits, mean batch %.1f", appendRate, appendMegabytesPerSecond, commits, meanBatch),
            String(
                format: "append latency: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms (the slowest started %.3f s in)",
                latency.p50, latency.p99, latency.p999, latency.max, slowestAtSeconds),
        ]
        if let volume = writeVolume {
            lines.append(String(format: "append writes: %.0f store bytes/event (wchar), %.0f disk bytes/event (write_bytes)", volume.store, volume.disk))
        } else {
            lines.append("append writes: n/a (/proc/self/io cannot be read)")
        }
        lines.append(String(format: "read by topic: %.0f events/s, %.0f MB/s warm; %.0f events/s on the first pass", readRate, readMegabytesPerSecond, coldRate))
        lines.append("store size: \(usedBytes / 1_048_576) MiB")
        lines.append(
            String(
                format: "writer: %.2f s applying, %.2f s committing, %.2f s of CPU; %d dedup merges, %.3f s", Double(writerApplyingNanoseconds) / 1e9,
                Double(writerCommittingNanoseconds) / 1e9, Double(writerCPUNanoseconds) / 1e9, Int(dedupMerges), Double(dedupMergeNanoseconds) / 1e9))
        return lines
    }
}
