import Testing

@testable import exchange_bench

/// The writer figures the end-to-end modes read from the daemon's `/metrics`.
@Suite struct WriterFiguresTests {
    static let exposition = """
        # TYPE exchange_commit_batch_size histogram
        exchange_commit_batch_size_bucket{le="1.0"} 10
        exchange_commit_batch_size_bucket{le="+Inf"} 40
        exchange_commit_batch_size_sum 400.0
        exchange_commit_batch_size_count 40
        # TYPE exchange_writer_seconds_total counter
        exchange_writer_seconds_total{phase="committing"} 1.5
        exchange_writer_seconds_total{phase="applying"} 0.5
        # TYPE exchange_writer_cpu_seconds_total counter
        exchange_writer_cpu_seconds_total 0.8
        exchange_store_used_bytes 4096
        """

    @Test func theCountersAreReadFromAnExposition() throws {
        let figures = try #require(WriterFigures.parse(Self.exposition))
        #expect(figures == WriterFigures(commits: 40, operations: 400, busySeconds: 2.0, cpuSeconds: 0.8))
    }

    @Test func aDaemonWithoutTheCPUCounterGivesNoFigures() {
        let older = Self.exposition.split(separator: "\n").filter { !$0.contains("cpu_seconds") }.joined(separator: "\n")
        #expect(WriterFigures.parse(older) == nil)
    }

    @Test func theReportCoversTheSpanBetweenTwoScrapes() {
        let before = WriterFigures(commits: 40, operations: 400, busySeconds: 2.0, cpuSeconds: 0.8)
        let after = WriterFigures(commits: 1040, operations: 20400, busySeconds: 3.6, cpuSeconds: 1.2)
        var report = EndToEndReport()
        after.report(since: before, seconds: 2.0, into: &report)
        let fields = Dictionary(report.fields.map { ($0.0, "\($0.1)") }, uniquingKeysWith: { _, last in last })
        #expect(fields["commits_per_s"] == "500.0")
        #expect(fields["ops_per_commit"] == "20.0")
        #expect(fields["writer_busy"] == "0.8")
        #expect(fields["writer_cpu_share"] == "0.25")
        #expect(fields["writer_cpu_us_per_commit"] == "400.0")
    }
}

/// The deduplication merges the writer figures carry.
@Suite struct WriterFiguresMergeTests {
    @Test func mergesAreReadWhenExportedAndReportedWithAPrefix() throws {
        let exposition = WriterFiguresTests.exposition + "\nexchange_dedup_merges_total 3\nexchange_dedup_merge_seconds_total 0.25\n"
        let figures = try #require(WriterFigures.parse(exposition))
        #expect(figures.dedupMerges == 3)
        #expect(figures.dedupMergeSeconds == 0.25)
        #expect(WriterFigures.parse(WriterFiguresTests.exposition)?.dedupMerges == 0)
        let before = WriterFigures(commits: 0, operations: 0, busySeconds: 0, cpuSeconds: 0, dedupMerges: 1, dedupMergeSeconds: 0.05)
        var report = EndToEndReport()
        figures.report(since: before, seconds: 1, into: &report, prefix: "replay_")
        let fields = Dictionary(report.fields.map { ($0.0, "\($0.1)") }, uniquingKeysWith: { _, last in last })
        #expect(fields["replay_dedup_merges"] == "2")
        #expect(fields["replay_dedup_merge_s"] == "0.2")
        #expect(fields["replay_commits_per_s"] == "40.0")
    }
}
