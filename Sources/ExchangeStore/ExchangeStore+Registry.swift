public import ExchangeModel
import LMDB

extension ExchangeStore {
    /// The entry of `key` in `collection`, with the event whose data is current and the part of
    /// its history `history` asks for (each item marked when retention removed its event), read
    /// in one read transaction; `nil` when the collection holds no such key. The history is read
    /// from its own keys: at most `history.limit` of them, whatever the history's length.
    public func registryEntry(collection: String, key: String, history: RegistryHistoryRange?) throws -> RegistryRecord? {
        guard let collectionID = names.id(of: collection, kind: .collection) else { return nil }
        return try read { txn in
            guard var record = try Self.registryRecord(txn, schema: schema, entryKey: RegistryKeys.entry(collectionID, key: key)) else {
                return nil
            }
            if let history {
                try Self.readHistory(txn, schema: schema, collection: collectionID, key: key, range: history, into: &record)
            }
            return record
        }
    }

    /// Reads `range` of an entry's history into `record`, marking the items whose events are no
    /// longer in the log.
    static func readHistory(
        _ txn: borrowing ReadTransaction, schema: StoreSchema, collection: UInt32, key: String, range: RegistryHistoryRange,
        into record: inout RegistryRecord
    ) throws {
        guard range.after < UInt64.max else { return }
        let prefix = RegistryKeys.historyPrefix(collection, key: key)
        var items: [RegistryHistoryItem] = []
        var continues = false
        try txn.withCursor(schema.registryHistory) { cursor in
            var current = try cursor.seek(atOrAfter: prefix + BigEndianKey.u64(range.after + 1))
            while let entry = current, entry.key.count == prefix.count + 8, entry.key.starts(with: prefix) {
                guard items.count < range.limit else {
                    continues = true
                    return
                }
                let sequence = entry.key.bigEndianUInt64(at: prefix.count)
                guard let item = RegistryHistoryItem(sequence: sequence, encodedValue: entry.value) else {
                    throw StoreError.corruptRecord("a registry history item cannot be decoded")
                }
                items.append(item)
                current = try cursor.next()
            }
        }
        var removed: Set<UInt64> = []
        for item in items {
            let sequenceKey = BigEndianKey.u64(item.sequence)
            if try sequenceKey.withUnsafeBytes({ try txn.get(schema.log, key: $0) }) == nil { removed.insert(item.sequence) }
        }
        record.history = items
        record.historyContinues = continues
        record.removedHistory = removed
    }

    /// Visits a range of a collection in order (by key, or by one index's value then key), in
    /// one read transaction, handing each entry with its current data event to `body`, which
    /// returns `false` to stop. Positions are keys, so a scan continued with `after` neither
    /// repeats nor skips entries that stayed put while others were added or changed.
    /// - Parameters:
    ///   - scan: the collection, index, bounds, position and budget.
    ///   - body: receives each entry; returns whether to go on.
    /// - Returns: the last position visited, and whether the range is exhausted.
    /// - Throws: `StoreError` with code `store.invalid_request` when `after` is not a position
    ///   of this range.
    @discardableResult
    public func registryScan(_ scan: RegistryScan, _ body: (RegistryRecord) throws -> Bool) throws -> RegistryScanResult {
        guard let collectionID = names.id(of: scan.collection, kind: .collection) else {
            if scan.after != nil { throw StoreError(code: .invalidRequest, message: "the cursor is not a position of this query") }
            return RegistryScanResult(position: nil, exhausted: true)
        }
        let prefix: [UInt8]
        if let index = scan.index {
            prefix = RegistryKeys.indexPrefix(collectionID, index, value: scan.value)
        } else {
            prefix = RegistryKeys.entryPrefix(collectionID)
        }
        let stop: [UInt8]? = scan.value == nil ? scan.below.map { RegistryKeys.indexPrefix(collectionID, scan.index ?? .expiry, value: $0) } : nil
        if let after = scan.after, !after.starts(with: prefix) || (stop.map { !after.lexicographicallyPrecedes($0) } ?? false) {
            throw StoreError(code: .invalidRequest, message: "the cursor is not a position of this query")
        }
        return try read { txn in
            try txn.withCursor(scan.index == nil ? schema.registry : schema.registryIndex) { cursor in
                var entry = try cursor.seek(atOrAfter: scan.after ?? prefix)
                if let after = scan.after, let current = entry, current.key.elementsEqual(after) {
                    entry = try cursor.next()
                }
                var position: [UInt8]?
                var visited = 0
                while let current = entry {
                    guard current.key.starts(with: prefix) else { return RegistryScanResult(position: position, exhausted: true) }
                    if let stop, !current.key.lexicographicallyPrecedes(stop) {
                        return RegistryScanResult(position: position, exhausted: true)
                    }
                    guard visited < scan.budget else { return RegistryScanResult(position: position, exhausted: false) }
                    visited += 1
                    position = Array(current.key)
                    let entryKey: [UInt8]
                    if scan.index == nil {
                        entryKey = Array(current.key)
                    } else {
                        guard let key = RegistryKeys.entryKey(fromIndexKey: current.key) else {
                            throw StoreError.corruptRecord("a registry index key cannot be decoded")
                        }
                        entryKey = RegistryKeys.entry(collectionID, key: key)
                    }
                    if let record = try Self.registryRecord(txn, schema: schema, entryKey: entryKey) {
                        guard try body(record) else {
                            var more = false
                            if let next = try cursor.next() {
                                more = next.key.starts(with: prefix) && (stop.map { next.key.lexicographicallyPrecedes($0) } ?? true)
                            }
                            return RegistryScanResult(position: position, exhausted: !more)
                        }
                    }
                    entry = try cursor.next()
                }
                return RegistryScanResult(position: position, exhausted: true)
            }
        }
    }

    static func registryRecord(_ txn: borrowing ReadTransaction, schema: StoreSchema, entryKey: [UInt8]) throws -> RegistryRecord? {
        guard let stored = try entryKey.withUnsafeBytes({ try txn.get(schema.registry, key: $0) }) else { return nil }
        guard let entry = RegistryEntry(encoded: stored) else {
            throw StoreError.corruptRecord("a registry entry cannot be decoded")
        }
        var event: StoredEvent?
        if entry.dataSequence > 0 {
            let key = BigEndianKey.u64(entry.dataSequence)
            // A record retention removed while it was current stays in `registry_data`.
            if let record = try key.withUnsafeBytes({ try txn.get(schema.log, key: $0) ?? txn.get(schema.registryData, key: $0) }) {
                event = try EventRecord.decode(sequence: entry.dataSequence, record)
            }
        }
        return RegistryRecord(entry: entry, dataEvent: event)
    }
}
