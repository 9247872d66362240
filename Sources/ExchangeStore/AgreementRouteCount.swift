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
enum AgreementRouteCounts: MetaCounter {
    static let prefix = Array("agreement_routes/".utf8)
    /// Present once the counts cover every inbox entry up to the indexes' mark.
    static let countedKey = Array("agreement_routes_counted".utf8)

    struct Count: MetaCount {
        var routes: UInt64 = 0
        var lastSequence: UInt64 = 0

        init() {}

        init(routes: UInt64, lastSequence: UInt64) {
            self.routes = routes
            self.lastSequence = lastSequence
        }

        init?(metaValue value: UnsafeRawBufferPointer) {
            guard value.count == 16 else { return nil }
            self.init(routes: value.bigEndianUInt64(at: 0), lastSequence: value.bigEndianUInt64(at: 8))
        }

        var metaValue: [UInt8] {
            var value = BigEndianKey(capacity: 16)
            value.append(routes)
            value.append(lastSequence)
            return value.bytes
        }

        mutating func add(_ other: Count) {
            routes &+= other.routes
            lastSequence = max(lastSequence, other.lastSequence)
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

    static func key(_ key: Key) -> [UInt8] { key.bytes }

    /// The counts of inbox entries, by agreement version.
    static func tally(_ inbox: [UInt32: [IndexTail.InboxItem]], after sequence: UInt64 = 0, through last: UInt64 = .max) -> [Key: Count] {
        var counts: [Key: Count] = [:]
        for items in inbox.values {
            for item in items where item.sequence > sequence && item.sequence <= last {
                counts[Key(agreement: item.agreement, version: item.agreementVersion), default: Count()].add(Count(routes: 1, lastSequence: item.sequence))
            }
        }
        return counts
    }

    /// Counts the whole `inbox` database into empty counts and marks the store counted, unless
    /// it is already: once, on the first open of a store written before the counts.
    /// - Returns: whether it counted.
    static func countInboxOnce(_ txn: inout WriteTransaction, schema: StoreSchema) throws -> Bool {
        try countOnce(&txn, meta: schema.meta, from: schema.inbox) { key, value in
            guard key.count == 12, value.count == 8 else { return nil }
            return (
                Key(agreement: value.bigEndianUInt32(at: 0), version: value.bigEndianUInt32(at: 4)),
                Count(routes: 1, lastSequence: key.bigEndianUInt64(at: 4))
            )
        }
    }
}
