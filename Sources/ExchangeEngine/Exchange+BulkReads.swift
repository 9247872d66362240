extension Exchange {
    /// Takes a share of the bulk-read budget for one replay or auditor read (see
    /// ``BulkReadBudget``). Take it before the read is audited and before anything is answered,
    /// hold it while streaming, call ``BulkReadPermit/pace(bytes:)`` after each chunk sent, and
    /// release it at the end.
    /// - Throws: ``ExchangeError/Code/bulkReadsBusy``, with ``ExchangeError/retryAfter``, when
    ///   `bulk_reads.max_concurrent` bulk reads are streaming.
    public func beginBulkRead() throws(ExchangeError) -> BulkReadPermit {
        guard let permit = bulkReads.acquire() else {
            var error = ExchangeError(
                .bulkReadsBusy,
                "\(bulkReads.configuration.maxConcurrent) bulk reads (replays, audit reads) are streaming, the most allowed at once (bulk_reads.max_concurrent); try again later")
            error.retryAfter = bulkReads.configuration.retryAfter
            throw error
        }
        return permit
    }
}
