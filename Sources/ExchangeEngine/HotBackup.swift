public import ExchangeStore
import Synchronization

/// A hot backup being sent: its copy in the data directory, and the exchange's one backup
/// slot (``Exchange/beginBackup()``).
///
/// A copy is as large as the store, so the exchange takes one backup at a time and removes the
/// copy as soon as the backup ends, whichever way: ``end()`` after the last byte, or when the
/// client went away or did not take a chunk within `bulk_reads.write_timeout`, or when the
/// value is freed (a response whose body never ran). The store removes any copy still there
/// when it closes, and any left by a process that died when it opens.
public final class HotBackup: Sendable {
    private let slot: BackupSlot
    private let state = Mutex<(copy: BackupCopy?, ended: Bool)>((nil, false))

    init(slot: BackupSlot) {
        self.slot = slot
    }

    deinit {
        end()
    }

    /// The copy, once written; `nil` before, and after ``end()``.
    public var copy: BackupCopy? { state.withLock { $0.ended ? nil : $0.copy } }

    /// Whether the backup ended (its copy removed, its slot free).
    public var isEnded: Bool { state.withLock { $0.ended } }

    /// Keeps `copy` as this backup's; it is removed at once when the backup already ended.
    func hold(_ copy: BackupCopy) {
        let ended = state.withLock { state -> Bool in
            if !state.ended { state.copy = copy }
            return state.ended
        }
        if ended { copy.remove() }
    }

    /// Ends the backup: removes its copy and frees the slot for the next. Later calls do nothing.
    public func end() {
        let copy = state.withLock { state -> BackupCopy?? in
            guard !state.ended else { return .none }
            state.ended = true
            defer { state.copy = nil }
            return .some(state.copy)
        }
        guard let copy else { return }
        copy?.remove()
        slot.release()
    }
}

/// The exchange's one backup slot: taken by ``Exchange/beginBackup()``, given back by
/// ``HotBackup/end()``.
final class BackupSlot: Sendable {
    private let taken = Atomic<Bool>(false)

    /// Takes the slot; `false` when a backup holds it.
    func take() -> Bool {
        taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    func release() {
        taken.store(false, ordering: .releasing)
    }
}
