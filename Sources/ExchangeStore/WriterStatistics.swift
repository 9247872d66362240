import Synchronization

/// What the group-commit writer did since the store was opened: commits, operations, where its
/// time went, and deduplication merges. Only the writer thread adds to them; anyone reads them.
final class WriterStatistics: Sendable {
    private let commitCount = Atomic<UInt64>(0)
    private let operationCount = Atomic<UInt64>(0)
    private let applyNanoseconds = Atomic<UInt64>(0)
    private let commitNanoseconds = Atomic<UInt64>(0)
    private let cpuNanoseconds = Atomic<UInt64>(0)
    private let mergeCount = Atomic<UInt64>(0)
    private let mergeNanoseconds = Atomic<UInt64>(0)
    private let lingerCount = Atomic<UInt64>(0)
    private let lingerRides = Atomic<UInt64>(0)
    private let lingerNanoseconds = Atomic<UInt64>(0)

    /// Write transactions committed.
    var commits: UInt64 { commitCount.load(ordering: .relaxed) }

    /// Operations (appends, acks, subscription changes, audit entries) committed; divided by
    /// ``commits``, the mean group-commit batch size.
    var operations: UInt64 { operationCount.load(ordering: .relaxed) }

    /// Time spent applying operations and committing (fsync included), and the CPU time (user
    /// and system) the writer thread used over those same spans, in nanoseconds.
    var time: (applying: UInt64, committing: UInt64, cpu: UInt64) {
        (
            applyNanoseconds.load(ordering: .relaxed), commitNanoseconds.load(ordering: .relaxed),
            cpuNanoseconds.load(ordering: .relaxed)
        )
    }

    /// Deduplication merges committed (runs completed: in-memory entries written as a run, or
    /// runs merged into one), and the time from the start of each commit's index step to the end
    /// of that commit, summed over every step, in nanoseconds: the writer was held that long.
    var merges: (count: UInt64, nanoseconds: UInt64) {
        (mergeCount.load(ordering: .relaxed), mergeNanoseconds.load(ordering: .relaxed))
    }

    /// Counts time spent applying a batch's operations.
    func addApplying(_ nanoseconds: UInt64) {
        applyNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Counts time spent in `mdb_txn_commit`.
    func addCommitting(_ nanoseconds: UInt64) {
        commitNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Counts CPU time the writer thread used applying and committing.
    func addCPU(_ nanoseconds: UInt64) {
        cpuNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Counts a committed transaction of `operations` operations.
    func addCommit(operations: Int) {
        commitCount.add(1, ordering: .relaxed)
        operationCount.add(UInt64(operations), ordering: .relaxed)
    }

    /// Counts a committed deduplication step that held the writer `nanoseconds` and completed
    /// `completed` runs.
    func addMerge(nanoseconds: UInt64, completed: Int) {
        mergeCount.add(UInt64(completed), ordering: .relaxed)
        mergeNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Batches of bookkeeping alone that waited for a publish (``GroupCommitLoop`` lingering),
    /// how many of them a publish came to ride with, and the time they waited, in nanoseconds.
    var lingers: (count: UInt64, rode: UInt64, nanoseconds: UInt64) {
        (lingerCount.load(ordering: .relaxed), lingerRides.load(ordering: .relaxed), lingerNanoseconds.load(ordering: .relaxed))
    }

    /// Counts a batch of bookkeeping that waited `nanoseconds` for a publish, and whether one came.
    func addLinger(_ nanoseconds: UInt64, rode: Bool) {
        lingerCount.add(1, ordering: .relaxed)
        if rode { lingerRides.add(1, ordering: .relaxed) }
        lingerNanoseconds.add(nanoseconds, ordering: .relaxed)
    }
}
