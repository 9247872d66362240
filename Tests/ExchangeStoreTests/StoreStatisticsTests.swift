import ExchangeStore
import Testing

/// The writer's times in the store's statistics: what `/metrics` turns into
/// `exchange_writer_seconds_total`, `exchange_writer_cpu_seconds_total` and the deduplication
/// merge counters.
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

    @Test func eachDeduplicationMergeIsCountedWithTheTimeItHeldTheWriter() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 10)
        defer { store.close() }
        for index in 0..<9 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "merge-\(index)")))
        }
        // A repeat adds no entry, so it brings no merge closer.
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "merge-0")))
        #expect(store.statistics().dedupMerges == 0, "nine entries are held, below the threshold of ten")
        #expect(store.statistics().dedupMergeNanoseconds == 0)

        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "merge-9")))
        let first = store.statistics()
        #expect(first.dedupMerges == 1, "the tenth entry's commit merges the ten")
        #expect(first.dedupMergeNanoseconds > 0)
        #expect(
            first.dedupMergeNanoseconds <= first.writerApplyingNanoseconds + first.writerCommittingNanoseconds,
            "a merge is part of the writer's busy time")

        for index in 10..<25 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "merge-\(index)")))
        }
        let later = store.statistics()
        #expect(later.dedupMerges == 2, "entries 11-20 made the second merge; five are held")
        #expect(later.dedupMergeNanoseconds > first.dedupMergeNanoseconds)
    }
}
