import LMDB

/// How many events one version of an agreement has routed, and the last of them: the store's
/// per-agreement count, read with ``ExchangeStore/agreementRoutes()``.
///
/// An event routed to three consumers by one agreement counts three routes (three inbox
/// entries): the count is of deliveries owed, as the inbox holds them.
public struct AgreementRouteCount: Hashable, Sendable {
    /// The agreement's id.
    public var agreement: String
    /// The version of the agreement's terms the routes were made under.
    public var version: UInt32
    /// Routes (inbox entries) made under this version.
    public var routes: UInt64
    /// The sequence of the last event routed under this version.
    public var lastSequence: UInt64
    /// When the store received that event, nanoseconds since 1970.
    public var lastReceivedAt: UInt64

    /// Creates a count.
    public init(agreement: String, version: UInt32, routes: UInt64, lastSequence: UInt64, lastReceivedAt: UInt64) {
        self.agreement = agreement
        self.version = version
        self.routes = routes
        self.lastSequence = lastSequence
        self.lastReceivedAt = lastReceivedAt
    }
}

/// The per-agreement route counts kept in `meta`: key `agreement_routes/`, agreement id (4),
/// version (4) → routes (8), last sequence (8), all big-endian.
///
/// The index tail's merge adds the routes it moves into `inbox` (one read and one put per
/// agreement version in the merge, nothing per event on the writer's commit path); a reader
/// adds the tail's entries after the mark. A store that has no counts yet (one written before
/// them) is counted once from its `inbox` on open, and marked so.
enum AgreementRouteCounts {
    static let prefix = Array("agreement_routes/".utf8)
    /// Present once the counts cover every inbox entry up to the indexes' mark.
    static let countedKey = Array("agreement_routes_counted".utf8)

    struct Count {
        var routes: UInt64 = 0
        var lastSequence: UInt64 = 0

        mutating func add(_ routes: UInt64, last: UInt64) {
            self.routes &+= routes
            lastSequence = max(lastSequence, last)
        }
    }

    struct Key: Hashable, Comparable {
        var agreement: UInt32
        var version: UInt32

        var bytes: [UInt8] {
            var key = BigEndianKey(capacity: AgreementRouteCounts.prefix.count + 8)
            key.append(agreement)
            key.append(version)
            return AgreementRouteCounts.prefix + key.bytes
        }

        init(agreement: UInt32, version: UInt32) {
            self.agreement = agreement
            self.version = version
        }

        /// The key of a stored `meta` key, or `nil` when it is not a count's.
        init?(_ key: UnsafeRawBufferPointer) {
            let prefix = AgreementRouteCounts.prefix
            guard key.count == prefix.count + 8, key.prefix(prefix.count).elementsEqual(prefix) else { return nil }
            agreement = key.bigEndianUInt32(at: prefix.count)
            version = key.bigEndianUInt32(at: prefix.count + 4)
        }

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.agreement, lhs.version) < (rhs.agreement, rhs.version) }
    }

    static func value(_ count: Count) -> [UInt8] {
        var value = BigEndianKey(capacity: 16)
        value.append(count.routes)
        value.append(count.lastSequence)
        return value.bytes
    }

    static func count(_ value: UnsafeRawBufferPointer) -> Count? {
        guard value.count == 16 else { return nil }
        return Count(routes: value.bigEndianUInt64(at: 0), lastSequence: value.bigEndianUInt64(at: 8))
    }

    /// The counts of inbox entries, by agreement version.
    static func tally(_ inbox: [UInt32: [IndexTail.InboxItem]], after sequence: UInt64 = 0, through last: UInt64 = .max) -> [Key: Count] {
        var counts: [Key: Count] = [:]
        for items in inbox.values {
            for item in items where item.sequence > sequence && item.sequence <= last {
                counts[Key(agreement: item.agreement, version: item.agreementVersion), default: Count()].add(1, last: item.sequence)
            }
        }
        return counts
    }

    /// Adds `counts` to the stored ones in `txn`.
    static func add(_ counts: [Key: Count], txn: inout WriteTransaction, meta: Database) throws {
        for key in counts.keys.sorted() {
            let keyBytes = key.bytes
            var total = try txn.get(meta, key: keyBytes).flatMap { stored in stored.withUnsafeBytes { Self.count($0) } } ?? Count()
            total.add(counts[key]!.routes, last: counts[key]!.lastSequence)
            _ = try txn.put(meta, key: keyBytes, value: value(total))
        }
    }

    /// Counts the whole `inbox` database into empty counts and marks the store counted, unless
    /// it is already: once, on the first open of a store written before the counts.
    /// - Returns: whether it counted.
    static func countInboxOnce(_ txn: inout WriteTransaction, schema: StoreSchema) throws -> Bool {
        guard try txn.get(schema.meta, key: countedKey) == nil else { return false }
        var counts: [Key: Count] = [:]
        try txn.withCursor(schema.inbox) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                if current.key.count == 12, current.value.count == 8 {
                    let key = Key(agreement: current.value.bigEndianUInt32(at: 0), version: current.value.bigEndianUInt32(at: 4))
                    counts[key, default: Count()].add(1, last: current.key.bigEndianUInt64(at: 4))
                }
                entry = try cursor.next()
            }
        }
        try add(counts, txn: &txn, meta: schema.meta)
        _ = try txn.put(schema.meta, key: countedKey, value: [1])
        return true
    }
}
