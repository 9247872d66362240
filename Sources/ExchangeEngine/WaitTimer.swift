import ExchangeStore
import Foundation

/// Ends timed waits at their deadlines, with one thread for all of them.
///
/// A subscription stream waits for the next commit after every event it sends, up to a
/// timeout it rarely reaches; a sleeping task per wait armed and cancelled a dispatch timer
/// each time (with a child task and a task group), which cost more than the delivery it
/// waited for. Here a wait costs a push on a heap under a lock, and the thread wakes only
/// for the earliest deadline. A waiter resumed sooner stays on the heap until its deadline
/// passes (resuming it then does nothing), or until the heap is compacted: when it holds
/// ``compactionThreshold`` entries (or twice what the last compaction left), those already
/// resumed are dropped.
final class WaitTimer: @unchecked Sendable {
    /// The timer of the process.
    static let shared = WaitTimer()

    /// Entries on the heap that start a compaction.
    static let compactionThreshold = 65_536

    private struct Entry {
        let deadline: UInt64
        let waiter: SignalWaiter
    }

    private let lock = ConditionLock()
    /// A min-heap by deadline; guarded by `lock`.
    private var heap: [Entry] = []
    private var started = false
    /// The heap's size that starts the next compaction: at least ``compactionThreshold``, and
    /// twice what the last one left, so that many live waits do not compact on every schedule.
    private var compactAt = WaitTimer.compactionThreshold

    /// Resumes `waiter` once `deadline` (``ExchangeStore/monotonicNanoseconds()``) has passed.
    func schedule(_ waiter: SignalWaiter, at deadline: UInt64) {
        let wake = lock.withLock { () -> Bool in
            if !started {
                started = true
                let thread = Thread { [self] in run() }
                thread.name = "wait-timer"
                thread.start()
            }
            if heap.count >= compactAt {
                compact()
                compactAt = Swift.max(Self.compactionThreshold, 2 * heap.count)
            }
            heap.append(Entry(deadline: deadline, waiter: waiter))
            siftUp(heap.count - 1)
            return heap[0].waiter === waiter
        }
        if wake { lock.signal() }
    }

    /// Entries on the heap, resumed or not.
    var count: Int { lock.withLock { heap.count } }

    private func run() {
        lock.lock()
        while true {
            guard let first = heap.first else {
                lock.wait()
                continue
            }
            if first.deadline > monotonicNanoseconds() {
                lock.wait(until: first.deadline)
                continue
            }
            removeFirst()
            lock.unlock()
            first.waiter.resume()
            lock.lock()
        }
    }

    /// Drops the entries of waiters already resumed; called with the lock held.
    private func compact() {
        // A new array: after a burst, the heap's memory shrinks with it.
        heap = heap.filter { !$0.waiter.isDone }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    private func removeFirst() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(0)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].deadline < heap[left].deadline { smallest = left + 1 }
            guard heap[smallest].deadline < heap[parent].deadline else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
