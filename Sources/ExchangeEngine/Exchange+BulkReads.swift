import CoreMetrics

extension Exchange {
    /// Takes a share of the bulk-read budget for one replay or auditor read (see
    /// ``BulkReadBudget``). Take it before the read is audited and before anything is answered,
    /// hold it while streaming, call ``BulkReadPermit/pace(bytes:abandoned:)`` after each chunk
    /// sent, and release it at the end. A refusal is counted in
    /// `exchange_bulk_reads_refused_total{reason}`; the layer that answers it reports it to
    /// ``recordRefusal(_:)``, which audits such refusals aggregated per principal.
    /// - Parameter reader: who reads; `nil` for a read on the exchange's own behalf.
    /// - Throws: ``ExchangeError/Code/bulkReadsBusy``, with ``ExchangeError/retryAfter``, when
    ///   `bulk_reads.max_concurrent` bulk reads are streaming, when `reader` already streams
    ///   one, or when only the slot kept for auditors is free and `reader` is not one.
    public func beginBulkRead(for reader: BulkReader? = nil) throws(ExchangeError) -> BulkReadPermit {
        let limits = bulkReads.configuration
        switch bulkReads.acquire(for: reader) {
        case .success(let permit):
            return permit
        case .failure(let refusal):
            metrics.bulkReadsRefused(refusal.reason).increment()
            let detail =
                switch refusal.reason {
                case .busy:
                    "\(limits.maxConcurrent) bulk reads (replays, audit reads) are streaming, the most allowed at once (bulk_reads.max_concurrent); try again later"
                case .principal:
                    "\(reader?.key ?? "this principal") already streams a bulk read (replay, audit read), and each principal streams one at a time; try again when it has ended"
                case .reserved:
                    "the only bulk-read slot free is kept for auditors (bulk_reads.max_concurrent \(limits.maxConcurrent), one kept); try again later"
                }
            var error = ExchangeError(.bulkReadsBusy, detail)
            error.retryAfter = limits.retryAfter
            throw error
        }
    }

    /// Counts a bulk read ended because its client did not take a chunk within
    /// `bulk_reads.write_timeout` (`exchange_bulk_reads_timed_out_total`).
    public func bulkReadTimedOut() {
        metrics.bulkReadsTimedOut.increment()
    }
}
