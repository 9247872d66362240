public import ExchangeStore

extension StoreError {
    /// The problem answered for this store error: `store.full` is 507, `store.closed` 503,
    /// `store.not_found` 404, `store.conflict` 409, `store.invalid_request` 400, every other code
    /// `store.failure` 500 (the store's own code and message are logged, not answered).
    public var problem: ProblemError {
        switch code {
        case .storeFull: ProblemError(.storeFull, detail: "the exchange store is full; nothing was written")
        case .closed: ProblemError(.storeClosed, detail: "the exchange is shutting down")
        case .notFound: ProblemError(.storeNotFound, detail: message)
        case .conflict: ProblemError(.storeConflict, detail: message)
        case .invalidRequest: ProblemError(.storeInvalidRequest, detail: message)
        default: ProblemError(.storeFailure, detail: "the exchange store failed (\(code.rawValue))")
        }
    }
}
