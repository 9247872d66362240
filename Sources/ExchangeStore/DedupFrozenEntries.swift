import ExchangeModel
import Foundation
import Synchronization

/// In-memory deduplication entries frozen to be written to disk as one sorted run.
///
/// They answer look-ups from ``entries`` until the run is complete. Writing needs them sorted
/// in LMDB's key order, with the run's filter: a small set is sorted on the writer thread when it
/// is frozen (``prepareNow()``), a larger one on a thread of its own (``prepareInBackground()``),
/// so that sorting tens of thousands of keys never holds the writer; steps start when it is done.
final class DedupFrozenEntries: @unchecked Sendable {
    /// The entries, sorted, with their run's filter.
    struct Prepared: Sendable {
        var sorted: [(key: DedupCache.Key, entry: DedupCache.Entry)]
        var filter: DedupFilter
        /// Entries left out: keys LMDB would refuse with the run prefix (only a store written
        /// before message ids were bounded holds them); they are not recognised once the run is
        /// complete, instead of failing every step.
        var skipped: Int
    }

    let entries: [DedupCache.Key: DedupCache.Entry]
    /// The last sequence whose entry is frozen here: `dedup_merged_through` once the run is complete.
    let through: UInt64
    /// Unix seconds at or before the publication of the oldest entry (when the set they were
    /// added to began), and at or after the newest's (when they were frozen): the run's time
    /// bounds (``DedupRunCatalog/Run``).
    let times: (oldest: UInt64, newest: UInt64)
    /// Entries of ``Prepared/sorted`` already written (by committed steps). Writer thread only.
    var written = 0
    private let result = Mutex<Prepared?>(nil)
    private var started = false

    private let makeFilter: @Sendable (Int) -> DedupFilter

    init(
        entries: [DedupCache.Key: DedupCache.Entry], through: UInt64, times: (oldest: UInt64, newest: UInt64),
        makeFilter: @escaping @Sendable (Int) -> DedupFilter
    ) {
        self.entries = entries
        self.through = through
        self.times = times
        self.makeFilter = makeFilter
    }

    /// The sorted entries, once prepared.
    var prepared: Prepared? { result.withLock { $0 } }

    /// Sorts on the calling thread.
    func prepareNow() -> Prepared {
        if let done = prepared { return done }
        let done = Self.prepare(entries, makeFilter: makeFilter)
        result.withLock { $0 = done }
        started = true
        return done
    }

    /// Sorts on a thread of its own, once; ``prepared`` is `nil` until it is done.
    func prepareInBackground() {
        guard !started else { return }
        started = true
        let entries = self.entries
        let makeFilter = self.makeFilter
        Thread.detachNewThread { [self] in
            let done = Self.prepare(entries, makeFilter: makeFilter)
            result.withLock { $0 = done }
        }
    }

    /// The most key bytes a run entry may have after its 4-byte run prefix.
    static let maxKeyBytes = InputBounds.maxKeyBytes - 4

    private static func prepare(
        _ entries: [DedupCache.Key: DedupCache.Entry], makeFilter: @Sendable (Int) -> DedupFilter
    ) -> Prepared {
        var sorted: [(key: DedupCache.Key, entry: DedupCache.Entry)] = []
        sorted.reserveCapacity(entries.count)
        var skipped = 0
        for (key, entry) in entries {
            if key.bytes.count > maxKeyBytes {
                skipped += 1
            } else {
                sorted.append((key, entry))
            }
        }
        sorted.sort { DedupCache.Key.precedes($0.key, $1.key) }
        var filter = makeFilter(sorted.count)
        for item in sorted { filter.insert(item.key.hash) }
        return Prepared(sorted: sorted, filter: filter, skipped: skipped)
    }
}
