public import ExchangeModel
public import ExchangeStore

extension Exchange {
    /// Entries read from the filter index per store read while a page is gathered.
    static let auditIndexChunk = 256

    /// Up to `limit` entries passing `filter`, newest first, below index `before` (the log's end
    /// when `nil`), through the filter index of ``AuditEntryFilter/indexKey`` (which must not be
    /// `nil`): reads grow with the page, not the log. When the filter's other parts reject most
    /// of what the index gives, at most `maxRead` index entries are read and the page ends early
    /// with a cursor to go on from.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func auditPage(
        _ filter: AuditEntryFilter, before: UInt64?, limit: Int, maxRead: Int = 10_000, passing accept: (JSONValue) -> Bool = { _ in true }
    ) throws(ExchangeError) -> AuditPage {
        guard let key = filter.indexKey, limit > 0 else { return AuditPage(records: [], nextBefore: nil, read: 0) }
        var records: [AuditEntryRecord] = []
        var upper = before
        var read = 0
        do {
            while records.count < limit, read < maxRead {
                let wanted = min(Self.auditIndexChunk, maxRead - read)
                let chunk = try store.auditEntryRecords(matching: key, before: upper, limit: wanted)
                var leftInChunk = false
                for (position, record) in chunk.enumerated() {
                    read += 1
                    upper = record.index
                    guard let entry = try? JSONValue.parse(record.entry), filter.matches(entry), accept(entry) else { continue }
                    records.append(record)
                    if records.count == limit {
                        leftInChunk = position < chunk.count - 1
                        break
                    }
                }
                // A short chunk read to its end: the index holds nothing older.
                if chunk.count < wanted, !leftInChunk { return AuditPage(records: records, nextBefore: nil, read: read) }
            }
        } catch {
            throw Self.mapped(error)
        }
        return AuditPage(records: records, nextBefore: upper == 0 ? nil : upper, read: read)
    }

    /// Up to `limit` entries naming `key`, oldest first, from index `from` on, through the
    /// filter index (unfiltered otherwise: the caller checks its filter on each).
    /// - Throws: ``ExchangeError`` with the store's error.
    public func auditEntries(matching key: AuditFilterKey, from: UInt64, limit: Int) throws(ExchangeError) -> [AuditEntryRecord] {
        do {
            return try store.auditEntryRecords(matching: key, from: from, limit: limit)
        } catch {
            throw Self.mapped(error)
        }
    }
}
