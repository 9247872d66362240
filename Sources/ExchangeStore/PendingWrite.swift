import Foundation

/// Work queued for the writer thread. Each item is answered only after the transaction that
/// applied it committed (or failed).
enum PendingWrite: @unchecked Sendable {
    /// Events to append atomically: all of them or none.
    case append([PreparedAppend], AppendCompletion)
    /// Any other change (subscriptions, acks, audit entries).
    case mutation(Mutation)

    /// A subscription's bookkeeping (a delivery record, an acknowledgement): committed after the
    /// other writes queued beside it.
    var isBookkeeping: Bool {
        if case .mutation(let mutation) = self { return mutation.isBookkeeping }
        return false
    }

    /// An append of events (publishes), refused first when the store is full.
    var isAppend: Bool {
        if case .append = self { return true }
        return false
    }

    /// Audit entries of reads and refusals, refused once the data reaches
    /// ``StoreMapLimits/readsLimit``.
    var isReadsAudit: Bool {
        if case .mutation(let mutation) = self { return mutation.isReadsAudit }
        return false
    }

    func fail(_ error: any Error) {
        switch self {
        case .append(_, let completion): completion.finish(.failure(error))
        case .mutation(let mutation): mutation.finish(error)
        }
    }
}

/// Who waits for an append: a suspended task, or a callback run after the commit, in commit order.
enum AppendCompletion: @unchecked Sendable {
    /// An `async` caller suspended until the commit.
    case task(UnsafeContinuation<[AppendResult], any Error>)
    /// A callback; it runs in commit order on the store's answer thread (or, for a small batch
    /// while that thread is idle, on the writer thread), and must return quickly.
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
    /// A subscription's delivery record or acknowledgement (see ``GroupCommitLoop``).
    var isBookkeeping = false
    /// Audit entries of reads and refusals (``AuditPriority/reads``).
    var isReadsAudit = false
}
