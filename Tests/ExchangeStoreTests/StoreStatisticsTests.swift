import ExchangeStore
import Testing

/// The writer's times in the store's statistics: what `/metrics` turns into
/// `exchange_writer_seconds_total` and `exchange_writer_cpu_seconds_total`.
@Suite struct StoreStatisticsTests {
    @Test func theWritersCPUTimeIsCountedWithinItsBusyTime() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        let opened = store.statistics()
        #expect(opened.writerCPUNanoseconds == 0, "nothing is counted before the writer's first batch")
        #expect(opened.writerApplyingNanoseconds == 0 && opened.writerCommittingNanoseconds == 0)

        let commits = 20
        for index in 0..<commits {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "cpu-\(index)", size: 1024)))
        }
        let written = store.statistics()
        let busy = written.writerApplyingNanoseconds + written.writerCommittingNanoseconds
        #expect(written.writerCPUNanoseconds > 0, "each commit costs the writer some CPU")
        // The CPU span of a batch starts just after its wall-clock span and ends just after it:
        // allow a little per commit for the clock reads, no more.
        #expect(
            written.writerCPUNanoseconds <= busy + UInt64(commits) * 100_000,
            "CPU \(written.writerCPUNanoseconds) ns against \(busy) ns busy: only the writer thread's own time counts")
        #expect(busy > 0)
    }
}
