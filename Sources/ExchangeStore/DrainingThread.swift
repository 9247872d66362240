import Foundation

/// A thread of its own that takes everything queued for it, up to `maxBatch` items at a time,
/// and hands each batch to `process`, in the order the items were queued.
final class DrainingThread<Item>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [Item] = []
    private var isStopping = false
    /// A batch is being processed, by the thread or by `processHereIfIdle(_:)`.
    private var isBusy = false
    private let stopped = DispatchSemaphore(value: 0)
    /// The thread's identity, set when it starts: `stop()` called from it must not wait for it.
    private var runner: pthread_t?
    /// The thread running `processHereIfIdle`, while it does: it must not wait for the stop either.
    private var inlineRunner: pthread_t?
    private let maxBatch: Int
    private let process: ([Item]) -> Void

    /// The longest thread name Linux keeps, in bytes (`TASK_COMM_LEN` less its terminator).
    static var maxNameLength: Int { 15 }

    /// Starts the thread.
    /// - Parameters:
    ///   - name: the thread's name, as tools such as `top -H` and `perf` show it: at most 15
    ///     bytes, the most Linux keeps (a longer name would leave the thread unnamed).
    ///   - maxBatch: the most items handed to `process` at once.
    ///   - process: runs on the thread, one batch at a time.
    init(name: String, maxBatch: Int = .max, process: @escaping ([Item]) -> Void) {
        precondition(name.utf8.count <= Self.maxNameLength, "thread name \(name) is longer than \(Self.maxNameLength) bytes")
        self.maxBatch = maxBatch
        self.process = process
        let thread = Thread { [self] in
            // Named from inside, by the system call itself: a name given before `start()` does
            // not reach the system's thread on Linux, and Foundation's setter passes it on only
            // once the creating thread has recorded the new thread's handle, which it may not
            // have yet when the new thread runs (the thread then keeps its creator's name).
            Self.setSystemName(name)
            run()
        }
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    /// Names the calling thread for Foundation and for the system (`top -H`, `perf`): on Linux
    /// by writing `/proc/thread-self/comm`, as `pthread_setname_np` does (which Swift's Glibc
    /// module does not export).
    private static func setSystemName(_ name: String) {
        Thread.current.name = name
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = name.utf8CString.withUnsafeBufferPointer { bytes in write(descriptor, bytes.baseAddress, bytes.count - 1) }
        #endif
    }

    /// Items queued, plus one while a batch is being processed; 0 when idle.
    var backlog: Int {
        lock.withLock { queue.count + (isBusy ? 1 : 0) }
    }

    /// Queues `item`. Returns `false`, queuing nothing, once `stop()` was called.
    func submit(_ item: Item) -> Bool {
        lock.lock()
        if isStopping {
            lock.unlock()
            return false
        }
        queue.append(item)
        let wasEmpty = queue.count == 1
        lock.unlock()
        if wasEmpty { lock.signal() }
        return true
    }

    /// Processes `item` on the calling thread when the thread is idle (nothing queued, nothing
    /// being processed), and returns `true`; otherwise returns `false` and does nothing. The
    /// thread waits meanwhile, so items queued during the call are processed after it, and the
    /// order of submission holds. This saves a thread wake-up when work comes rarely.
    func processHereIfIdle(_ item: Item) -> Bool {
        lock.lock()
        guard !isStopping, !isBusy, queue.isEmpty else {
            lock.unlock()
            return false
        }
        isBusy = true
        inlineRunner = pthread_self()
        lock.unlock()
        process([item])
        lock.lock()
        isBusy = false
        inlineRunner = nil
        let wake = !queue.isEmpty || isStopping
        lock.unlock()
        if wake { lock.signal() }
        return true
    }

    /// Called from `process` on the thread, for the batch it is processing: waits until
    /// something is queued or `deadline` (``monotonicNanoseconds()``) has passed, and returns
    /// what was queued, at most `limit` items, in order; empty at the deadline or once `stop()`
    /// was called. The items returned come after the batch in the order of submission, so
    /// adding them to it keeps that order.
    func takeMore(until deadline: UInt64, limit: Int) -> [Item] {
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty, !isStopping, monotonicNanoseconds() < deadline {
            lock.wait(until: deadline)
        }
        guard limit > 0, !queue.isEmpty else { return [] }
        let count = Swift.min(limit, queue.count)
        let taken = Array(queue[0..<count])
        queue.removeFirst(count)
        return taken
    }

    /// Processes everything already queued, then stops the thread and waits for it. Called on
    /// the thread itself (its last owner released while it processed), or from an item that
    /// `processHereIfIdle` is running, it only asks the thread to stop after the current batch,
    /// since waiting for itself would never end.
    func stop() {
        let onRunner = lock.withLock { () -> Bool in
            isStopping = true
            let me = pthread_self()
            return [runner, inlineRunner].contains { $0.map { pthread_equal($0, me) != 0 } ?? false }
        }
        lock.broadcast()
        if !onRunner { stopped.wait() }
    }

    private func run() {
        lock.withLock { runner = pthread_self() }
        var batch: [Item] = []
        lock.lock()
        while true {
            // Wait while a `processHereIfIdle` call runs, too: its item comes before any queued.
            while (queue.isEmpty && !isStopping) || isBusy {
                lock.wait()
            }
            if queue.isEmpty { break }
            if queue.count <= maxBatch {
                swap(&batch, &queue)
            } else {
                batch.append(contentsOf: queue[0..<maxBatch])
                queue.removeFirst(maxBatch)
            }
            isBusy = true
            lock.unlock()
            process(batch)
            batch.removeAll(keepingCapacity: true)
            lock.lock()
            isBusy = false
        }
        lock.unlock()
        stopped.signal()
    }
}
