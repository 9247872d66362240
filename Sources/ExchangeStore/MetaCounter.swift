import LMDB

/// A count kept in `meta`: zero, its stored form, and how two add up.
protocol MetaCount {
    /// Nothing counted.
    init()
    /// The count stored as `value`, or `nil` when `value` is not one.
    init?(metaValue value: UnsafeRawBufferPointer)
    /// The stored form.
    var metaValue: [UInt8] { get }
    /// Adds `other` to this count.
    mutating func add(_ other: Self)
}

/// A family of counts kept in the `meta` database, one per key (per topic, per agreement
/// version): the index tail's merge adds what it moves (one read and one put per key it touches,
/// nothing per event on the writer's commit path), and a store written before the family
/// existed is counted once from the database the counts describe, then marked so.
protocol MetaCounter {
    associatedtype Key: Hashable & Comparable
    associatedtype Count: MetaCount
    /// Present in `meta` once the counts cover the store.
    static var countedKey: [UInt8] { get }
    /// The `meta` key of `key`'s count.
    static func key(_ key: Key) -> [UInt8]
}

extension MetaCounter {
    /// The count stored as `value` (as `get` read it); zero when there is none.
    static func count(_ value: [UInt8]?) -> Count {
        value.flatMap { value in value.withUnsafeBytes { Count(metaValue: $0) } } ?? Count()
    }

    /// Adds `counts` to the stored ones in `txn`, in key order.
    static func add(_ counts: [Key: Count], txn: inout WriteTransaction, meta: Database) throws {
        for key in counts.keys.sorted() {
            let metaKey = self.key(key)
            var total = count(try txn.get(meta, key: metaKey))
            total.add(counts[key]!)
            try txn.put(meta, key: metaKey, value: total.metaValue)
        }
    }

    /// Counts every entry of `database` and stores the counts, replacing any, then marks the
    /// store counted; unless it is marked already: once, on the first open of a store written
    /// before the counts.
    /// - Parameters:
    ///   - tally: the key and count of one entry of `database`; `nil` for an entry that counts
    ///     for nothing.
    /// - Returns: whether it counted.
    static func countOnce(
        _ txn: inout WriteTransaction, meta: Database, from database: Database,
        tally: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> (Key, Count)?
    ) throws -> Bool {
        guard try txn.get(meta, key: countedKey) == nil else { return false }
        var counts: [Key: Count] = [:]
        try txn.withCursor(database) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                if let (key, count) = tally(current.key, current.value) { counts[key, default: Count()].add(count) }
                entry = try cursor.next()
            }
        }
        for key in counts.keys.sorted() { try txn.put(meta, key: self.key(key), value: counts[key]!.metaValue) }
        try txn.put(meta, key: countedKey, value: [1])
        return true
    }
}

extension UInt64: MetaCount {
    init?(metaValue value: UnsafeRawBufferPointer) {
        guard value.count == 8 else { return nil }
        self = value.bigEndianUInt64(at: 0)
    }

    var metaValue: [UInt8] { BigEndianKey.u64(self) }

    mutating func add(_ other: UInt64) { self += other }
}
