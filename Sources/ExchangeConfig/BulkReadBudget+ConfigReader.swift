import ExchangeEngine

extension BulkReadBudget.Configuration {
    /// The keys of the `bulk_reads` section.
    static let keys: Set<String> = [
        "bulk_reads.max_concurrent", "bulk_reads.max_bytes_per_second", "bulk_reads.max_yield", "bulk_reads.write_timeout",
    ]

    /// Reads the `bulk_reads` section: what replays (`GET /v1/replay`) and the auditor's
    /// `/v1/audit/events` and `/v1/audit/replay` may take from live traffic (see
    /// ``BulkReadBudget``):
    /// - `bulk_reads.max_concurrent`: bulk reads streaming at once; one more is refused with
    ///   503 `replay.busy` and `Retry-After` (default 4; 1-1000). Each principal streams one at
    ///   a time, and from 2 on one slot is kept for auditors and admins;
    /// - `bulk_reads.max_bytes_per_second`: the most one bulk read sends per second, a size;
    ///   `0` sets no rate (default 0; otherwise from 64KiB to 1TiB);
    /// - `bulk_reads.max_yield`: the longest a bulk read waits after each chunk while the
    ///   store's writer has work or delivery rounds run, a duration; `0` never waits
    ///   (default 20ms; from 0 to 1s);
    /// - `bulk_reads.write_timeout`: the longest one chunk of a bulk read may take to be written
    ///   to its client before the read is ended and its slot freed, a duration (default 30s;
    ///   from 1s to 1h).
    init(reader: ConfigReader) throws {
        let defaults = Self()
        // `0` (no rate) is a size of its own here; `size` refuses it elsewhere.
        let bytes = reader.value("bulk_reads.max_bytes_per_second") as? Int == 0 ? 0 : try reader.size("bulk_reads.max_bytes_per_second")
        if let bytes, bytes != 0, bytes < Self.minimumBytesPerSecond || bytes > 1 << 40 {
            throw reader.problem(
                "bulk_reads.max_bytes_per_second",
                "must be 0 (no rate) or from 64KiB to 1TiB: a lower rate would let one read hold a bulk-read slot for hours")
        }
        let yield = try reader.duration("bulk_reads.max_yield")
        if let yield, yield < .zero || yield > .seconds(1) {
            throw reader.problem("bulk_reads.max_yield", "must be from 0 (never wait) to 1s")
        }
        let writeTimeout = try reader.duration("bulk_reads.write_timeout")
        if let writeTimeout, writeTimeout < .seconds(1) || writeTimeout > .seconds(3600) {
            throw reader.problem("bulk_reads.write_timeout", "must be from 1s to 1h")
        }
        self.init(
            maxConcurrent: try reader.integer("bulk_reads.max_concurrent", in: 1...1000) ?? defaults.maxConcurrent,
            maxBytesPerSecond: bytes ?? defaults.maxBytesPerSecond, maxYield: yield ?? defaults.maxYield,
            retryAfter: defaults.retryAfter, writeTimeout: writeTimeout ?? defaults.writeTimeout)
    }
}
