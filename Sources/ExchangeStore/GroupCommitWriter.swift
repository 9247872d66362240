import Foundation

/// Work queued for the writer thread. Each item is answered only after the transaction that
/// applied it committed (or failed).
enum PendingWrite: @unchecked Sendable {
    /// Events to append atomically: all of them or none.
    case append([PreparedAppend], AppendCompletion)
    /// Any other change (subscriptions, acks, audit entries).
    case mutation(Mutation)

    func fail(_ error: any Error) {
        switch self {
        case .append(_, let completion): completion.finish(.failure(error))
        case .mutation(let mutation): mutation.finish(error)
        }
    }
}

/// Who waits for an append: a suspended task, or a callback run on the writer thread.
enum AppendCompletion: @unchecked Sendable {
    /// An `async` caller suspended until the commit.
    case task(UnsafeContinuation<[AppendResult], any Error>)
    /// A callback; it runs on the writer thread and must return quickly.
    case callback(@Sendable (Result<[AppendResult], any Error>) -> Void)

    func finish(_ result: Result<[AppendResult], any Error>) {
        switch self {
        case .task(let continuation): continuation.resume(with: result)
        case .callback(let callback): callback(result)
        }
    }
}

/// A change applied inside the batch's transaction. `apply` must check before it writes: a
/// non-LMDB error thrown from it aborts the batch, which is then applied again without it.
struct Mutation {
    let apply: (inout BatchContext) throws -> Void
    let finish: ((any Error)?) -> Void
}

/// The single writer thread: drains every queued operation into one write transaction
/// (group commit). Under light load an operation commits alone; under heavy load batches grow
/// up to `maxBatch` operations.
final class GroupCommitWriter: @unchecked Sendable {
    private let lock = ConditionLock()
    private var queue: [PendingWrite] = []
    private var isStopping = false
    private let stopped = DispatchSemaphore(value: 0)
    private let maxBatch: Int
    private let process: ([PendingWrite]) -> Void

    /// Starts the thread.
    /// - Parameters:
    ///   - maxBatch: the most operations per transaction.
    ///   - process: applies and commits one batch, then answers every operation in it.
    init(maxBatch: Int, process: @escaping ([PendingWrite]) -> Void) {
        self.maxBatch = maxBatch
        self.process = process
        let thread = Thread { [self] in run() }
        thread.name = "exchange-store-writer"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    /// Queues an operation; it fails at once with `store.closed` after `stop()`.
    func submit(_ write: PendingWrite) {
        lock.lock()
        if isStopping {
            lock.unlock()
            write.fail(StoreError(code: .closed, message: "the store is closed"))
            return
        }
        queue.append(write)
        let wasEmpty = queue.count == 1
        lock.unlock()
        if wasEmpty { lock.signal() }
    }

    /// Applies everything already queued, then stops the thread and waits for it.
    func stop() {
        lock.withLock { isStopping = true }
        lock.broadcast()
        stopped.wait()
    }

    private func run() {
        var batch: [PendingWrite] = []
        batch.reserveCapacity(maxBatch)
        while true {
            lock.lock()
            while queue.isEmpty && !isStopping {
                lock.wait()
            }
            if queue.isEmpty {
                lock.unlock()
                break
            }
            if queue.count <= maxBatch {
                swap(&batch, &queue)
            } else {
                batch.append(contentsOf: queue[0..<maxBatch])
                queue.removeFirst(maxBatch)
            }
            lock.unlock()
            process(batch)
            batch.removeAll(keepingCapacity: true)
        }
        stopped.signal()
    }
}
