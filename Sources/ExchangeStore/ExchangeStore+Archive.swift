import ExchangeModel
import LMDB

/// An expired event read for the archive before retention removes it: the event as stored and
/// its `published` audit entry.
public struct ExpiringEvent: Hashable, Sendable {
    /// The event, decoded.
    public var event: StoredEvent
    /// The index of its `published` audit entry, or `nil` for a record written before format 5,
    /// which does not name it.
    public var auditIndex: UInt64?
    /// The canonical bytes of that entry (empty when ``auditIndex`` is `nil`).
    public var auditEntry: [UInt8]

    /// Creates an expiring event.
    public init(event: StoredEvent, auditIndex: UInt64?, auditEntry: [UInt8]) {
        self.event = event
        self.auditIndex = auditIndex
        self.auditEntry = auditEntry
    }
}

extension ExchangeStore {
    /// The oldest events of `rule`'s topic that a retention step at `now` would remove, at most
    /// `limit`, oldest first, read in one read transaction (no writer time): what an archive
    /// writes before the step removes them. It applies the step's choice (over the count or
    /// older than the age, merged index and deduplication entries) but not ``RetentionRule/archivedThrough``.
    /// - Parameters:
    ///   - rule: the topic and its policy.
    ///   - now: the time ages count from (ns since the Unix epoch).
    ///   - limit: the most events returned (1 to 100,000).
    public func expiringEvents(_ rule: RetentionRule, now: UInt64, limit: Int) throws -> [ExpiringEvent] {
        let limit = min(max(limit, 1), 100_000)
        guard rule.policy.removesEvents, let topicID = names.id(of: rule.topic, kind: .topic) else { return [] }
        let (ageCutoff, ageOverflow) = (rule.policy.maxAge ?? 0).multipliedReportingOverflow(by: 1_000_000_000)
        let oldestKept = rule.policy.maxAge == nil || ageOverflow || ageCutoff >= now ? 0 : now - ageCutoff
        return try readIndexed { txn, tail in
            let indexed = try txn.get(schema.meta, key: IndexMark.key).flatMap { bytes in bytes.withUnsafeBytes { IndexMark($0) } }?.sequence ?? 0
            let deduplicated = try DedupCache.mergedThrough(txn.get(schema.meta, key: DedupCache.mergedThroughKey))
            let removable = min(indexed, deduplicated)
            let count = TopicCounts.count(try txn.get(schema.meta, key: TopicCounts.key(topicID)))
            let live = count + UInt64(tail.topic(topicID, after: 0, limit: .max).count)
            var events: [ExpiringEvent] = []
            try txn.withCursor(schema.topicIndex) { cursor in
                var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, 0))
                while let current = entry, current.key.bigEndianUInt32(at: 0) == topicID, events.count < limit {
                    let sequence = current.key.bigEndianUInt64(at: 4)
                    guard sequence <= removable, let record = try txn.get(schema.log, key: BigEndianKey.u64(sequence)) else { break }
                    let overCount = rule.policy.maxEvents.map { live > UInt64(events.count) && live - UInt64(events.count) > $0 } ?? false
                    let event = try record.withUnsafeBytes { bytes -> ExpiringEvent? in
                        let view = EventView(sequence: sequence, record: bytes)
                        guard overCount || view.receivedAt < oldestKept else { return nil }
                        let audit = try view.embeddedAudit()
                        return ExpiringEvent(event: try view.decode(), auditIndex: audit?.index, auditEntry: audit.map { Array($0.entry) } ?? [])
                    }
                    guard let event else { break }
                    events.append(event)
                    entry = try cursor.next()
                }
            }
            return events
        }
    }
}
