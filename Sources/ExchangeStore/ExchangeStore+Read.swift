import LMDB

/// Size and content figures of the store, for metrics and `/readyz`.
public struct StoreStatistics: Sendable, Equatable {
    /// The current size of the memory map in bytes.
    public var mapSize: Int
    /// The configured maximum map size in bytes.
    public var maxMapSize: Int
    /// Bytes of the map in use.
    public var usedBytes: Int
    /// The last committed event sequence.
    public var lastSequence: UInt64
    /// The number of audit entries.
    public var auditCount: UInt64
    /// Nanoseconds the writer thread spent applying operations since the store was opened.
    public var writerApplyingNanoseconds: UInt64
    /// Nanoseconds the writer thread spent committing them (fsync included) since the store was
    /// opened. With ``writerApplyingNanoseconds``, over wall time: how busy the serial stage of
    /// every write is.
    public var writerCommittingNanoseconds: UInt64
    /// CPU time the writer thread used while applying and committing, in nanoseconds since the
    /// store was opened. Close to the two times above, the writer is computing (LMDB, or the
    /// kernel copying and writing back pages); far below them, it waits for the disk.
    public var writerCPUNanoseconds: UInt64
    /// Deduplication merges committed since the store was opened: sorted runs completed, from
    /// the entries held in memory or by merging runs.
    public var dedupMerges: UInt64
    /// The writer's time in the deduplication index's steps (writing, merging and deleting
    /// runs, a bounded part per commit), from the start of each step to the end of its commit,
    /// in nanoseconds: every write queued meanwhile waited.
    public var dedupMergeNanoseconds: UInt64
    /// The data in the map at which publishes are refused (``StoreMapLimits/publishLimit``).
    public var publishLimit: Int = 0
    /// Whether the store refused publishes as full at the writer's last batch that held some.
    public var isRefusingPublishes = false
    /// Batches of subscribers' bookkeeping alone that waited for a publish to commit with
    /// (`store.bookkeeping_linger`) since the store was opened.
    public var bookkeepingLingers: UInt64 = 0
    /// Of ``bookkeepingLingers``, those a publish came to ride with; the rest committed alone
    /// at the end of the wait.
    public var bookkeepingLingerRides: UInt64 = 0

    /// Creates statistics; the store makes them with ``ExchangeStore/statistics()``.
    public init(
        mapSize: Int, maxMapSize: Int, usedBytes: Int, lastSequence: UInt64, auditCount: UInt64,
        writerApplyingNanoseconds: UInt64, writerCommittingNanoseconds: UInt64, writerCPUNanoseconds: UInt64,
        dedupMerges: UInt64 = 0, dedupMergeNanoseconds: UInt64 = 0
    ) {
        self.mapSize = mapSize
        self.maxMapSize = maxMapSize
        self.usedBytes = usedBytes
        self.lastSequence = lastSequence
        self.auditCount = auditCount
        self.writerApplyingNanoseconds = writerApplyingNanoseconds
        self.writerCommittingNanoseconds = writerCommittingNanoseconds
        self.writerCPUNanoseconds = writerCPUNanoseconds
        self.dedupMerges = dedupMerges
        self.dedupMergeNanoseconds = dedupMergeNanoseconds
    }
}

extension ExchangeStore {
    /// The event stored under `sequence`, or `nil`.
    public func event(_ sequence: UInt64) throws -> StoredEvent? {
        try read { txn in try event(sequence, in: txn) }
    }

    /// The event stored under `sequence` as `txn` sees it, or `nil`.
    func event(_ sequence: UInt64, in txn: borrowing ReadTransaction) throws -> StoredEvent? {
        let key = BigEndianKey.u64(sequence)
        guard let record = try key.withUnsafeBytes({ try txn.get(schema.log, key: $0) }) else { return nil }
        return try EventRecord.decode(sequence: sequence, record)
    }

    /// Visits up to `limit` events in log order from sequence `from`, in one read transaction,
    /// without copying them. `body` returns `false` to stop early.
    /// - Returns: the sequence after the last event visited (where to continue).
    @discardableResult
    public func scanLog(from sequence: UInt64, limit: Int, _ body: (EventView) throws -> Bool) throws -> UInt64 {
        try read { txn in
            try txn.withCursor(schema.log) { cursor in
                var next = sequence
                var visited = 0
                var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(sequence))
                while visited < limit, let current = entry {
                    let sequence = current.key.bigEndianUInt64(at: 0)
                    next = sequence + 1
                    visited += 1
                    guard try body(EventView(sequence: sequence, record: current.value)) else { break }
                    entry = try cursor.next()
                }
                return next
            }
        }
    }

    /// Visits up to `limit` events of `topic` from sequence `from` through the topic index, in one
    /// read transaction, without copying them. `body` returns `false` to stop early.
    /// - Returns: the sequence after the last event visited (where to continue).
    @discardableResult
    public func scanTopic(_ topic: String, from sequence: UInt64, limit: Int, _ body: (EventView) throws -> Bool) throws -> UInt64 {
        guard let topicID = names.id(of: topic, kind: .topic) else { return sequence }
        return try readIndexed { txn, tail in
            try txn.withCursor(schema.topicIndex) { index in
                try txn.withCursor(schema.log) { log in
                    var next = sequence
                    var visited = 0
                    var sequenceKey = UInt64(0)
                    func visit(_ sequence: UInt64) throws -> Bool {
                        sequenceKey = sequence.bigEndian
                        let found = try withUnsafeBytes(of: &sequenceKey) { try log.seek(atOrAfter: $0) }
                        guard let record = found, record.key.bigEndianUInt64(at: 0) == sequence else {
                            throw StoreError.corruptRecord("the topic index names event \(sequence), which the log lacks")
                        }
                        next = sequence + 1
                        visited += 1
                        return try body(EventView(sequence: sequence, record: record.value))
                    }
                    // The merged entries, then those the index tail still holds.
                    var entry = try index.seek(atOrAfter: BigEndianKey.pair(topicID, sequence))
                    while visited < limit, let current = entry, current.key.bigEndianUInt32(at: 0) == topicID,
                        current.key.bigEndianUInt64(at: 4) <= tail.lastSequence
                    {
                        guard try visit(current.key.bigEndianUInt64(at: 4)) else { return next }
                        entry = try index.next()
                    }
                    for tailSequence in tail.topic(topicID, after: max(next, sequence, 1) - 1, limit: limit - visited) {
                        guard try visit(tailSequence) else { break }
                    }
                    return next
                }
            }
        }
    }

    /// Visits up to `limit` inbox entries of `consumer` from sequence `from`, each with its
    /// event's record, in one read transaction, without copying the records. `body` returns
    /// `false` to stop early; it must not keep the view.
    /// - Returns: the sequence after the last entry visited (where to continue).
    @discardableResult
    public func scanInbox(consumer: String, from sequence: UInt64, limit: Int, _ body: (InboxEntry, EventView) throws -> Bool) throws -> UInt64 {
        guard let consumerID = names.id(of: consumer, kind: .department) else { return sequence }
        return try readIndexed { txn, tail in try scanInbox(consumerID, from: sequence, limit: limit, in: txn, tail: tail, body) }
    }

    /// ``scanInbox(consumer:from:limit:_:)`` inside `txn`, for the consumer of id `consumerID`:
    /// the merged entries, then those `tail` (taken before `txn` began) holds.
    func scanInbox(
        _ consumerID: UInt32, from sequence: UInt64, limit: Int, in txn: borrowing ReadTransaction, tail: IndexTail.View,
        _ body: (InboxEntry, EventView) throws -> Bool
    ) throws -> UInt64 {
        try txn.withCursor(schema.inbox) { inbox in
            try txn.withCursor(schema.log) { log in
                var next = sequence
                var visited = 0
                var sequenceKey = UInt64(0)
                var logPosition: UInt64?
                var agreementNames: (id: UInt32, name: String) = (0, "")
                func visit(_ sequence: UInt64, agreementID: UInt32, agreementVersion: UInt32) throws -> Bool {
                    next = sequence + 1
                    visited += 1
                    // A consumer's events are often consecutive in the log: step instead of searching.
                    var found = logPosition == sequence &- 1 ? try log.next() : nil
                    if found.map({ $0.key.bigEndianUInt64(at: 0) }) != sequence {
                        sequenceKey = sequence.bigEndian
                        found = try withUnsafeBytes(of: &sequenceKey) { try log.seek(atOrAfter: $0) }
                    }
                    guard let record = found, record.key.bigEndianUInt64(at: 0) == sequence else {
                        throw StoreError.corruptRecord("the inbox names event \(sequence), which the log lacks")
                    }
                    logPosition = sequence
                    if agreementNames.name.isEmpty || agreementNames.id != agreementID {
                        agreementNames = (agreementID, names.name(of: agreementID, kind: .agreement) ?? "#\(agreementID)")
                    }
                    let inboxEntry = InboxEntry(sequence: sequence, agreement: agreementNames.name, agreementVersion: agreementVersion)
                    return try body(inboxEntry, EventView(sequence: sequence, record: record.value))
                }
                var entry = try inbox.seek(atOrAfter: BigEndianKey.pair(consumerID, sequence))
                // Up to the view's last sequence, as every read through the view: a merge
                // committed since it was taken may have put later entries here already.
                while visited < limit, let current = entry, current.key.bigEndianUInt32(at: 0) == consumerID,
                    current.key.bigEndianUInt64(at: 4) <= tail.lastSequence
                {
                    let more = try visit(
                        current.key.bigEndianUInt64(at: 4), agreementID: current.value.bigEndianUInt32(at: 0),
                        agreementVersion: current.value.bigEndianUInt32(at: 4))
                    guard more else { return next }
                    entry = try inbox.next()
                }
                for item in tail.inbox(consumerID, after: max(next, sequence, 1) - 1, limit: limit - visited) {
                    guard try visit(item.sequence, agreementID: item.agreement, agreementVersion: item.agreementVersion) else { break }
                }
                return next
            }
        }
    }

    /// The inbox entry of `consumer` for event `sequence`: the agreement that routed it there.
    public func inboxEntry(consumer: String, sequence: UInt64) throws -> InboxEntry? {
        guard let consumerID = names.id(of: consumer, kind: .department) else { return nil }
        return try readIndexed { txn, tail in try inboxEntry(consumerID, sequence: sequence, in: txn, tail: tail) }
    }

    /// The inbox entry of the consumer of id `consumerID` for event `sequence`, as `txn` and
    /// `tail` (taken before `txn` began) see it.
    func inboxEntry(_ consumerID: UInt32, sequence: UInt64, in txn: borrowing ReadTransaction, tail: IndexTail.View) throws -> InboxEntry? {
        func entry(_ agreementID: UInt32, _ version: UInt32) -> InboxEntry {
            InboxEntry(sequence: sequence, agreement: names.name(of: agreementID, kind: .agreement) ?? "#\(agreementID)", agreementVersion: version)
        }
        if let item = tail.inboxItem(consumerID, sequence: sequence) {
            return entry(item.agreement, item.agreementVersion)
        }
        return try BigEndianKey.pair(consumerID, sequence).withUnsafeBytes { key in
            try txn.get(schema.inbox, key: key).map { value in entry(value.bigEndianUInt32(at: 0), value.bigEndianUInt32(at: 4)) }
        }
    }

    /// The first sequence received at or after `time` (ns since the Unix epoch), or `nil` when
    /// every event is older.
    ///
    /// The sparse time index gives the last entry before `time` and the first at or after it;
    /// between them the log is searched by halving, reading each probed record's receive time
    /// (the first record at or after the probe, as retention leaves gaps): receive times never
    /// decrease with sequences. O(log n) reads
    /// however many events lie between two entries (about 100 ms of them while the clock runs
    /// forward, any number while it stands behind the last batch's time).
    public func firstSequence(receivedAtOrAfter time: UInt64) throws -> UInt64? {
        try read { txn in
            let (before, after) = try txn.withCursor(schema.timeIndex) { cursor -> (UInt64?, UInt64?) in
                let after = try cursor.seek(atOrAfter: BigEndianKey.pair(time, 0)).map { $0.key.bigEndianUInt64(at: 8) }
                // After a seek that found nothing the cursor's position is undefined: go to the end.
                let previous = after == nil ? try cursor.last() : try cursor.previous()
                return (previous.map { $0.key.bigEndianUInt64(at: 8) }, after)
            }
            let end: UInt64
            if let after {
                end = after
            } else {
                guard let last = try txn.withCursor(schema.log, { try $0.last() }).map({ $0.key.bigEndianUInt64(at: 0) }) else {
                    return nil
                }
                end = last + 1
            }
            // The first sequence in [low, end) received at or after `time`, or `end`. Retention
            // leaves holes: each probe reads the first event at or after the middle.
            var low = before ?? 1
            var high = end
            var found = end
            try txn.withCursor(schema.log) { cursor in
                while low < high {
                    let middle = low + (high - low) / 2
                    guard let record = try cursor.seek(atOrAfter: BigEndianKey.u64(middle)), record.key.bigEndianUInt64(at: 0) < high else {
                        high = middle
                        continue
                    }
                    let sequence = record.key.bigEndianUInt64(at: 0)
                    if EventView(sequence: sequence, record: record.value).receivedAt >= time {
                        found = sequence
                        high = middle
                    } else {
                        low = sequence + 1
                    }
                }
            }
            return found < end || after != nil ? found : nil
        }
    }

    /// Up to `limit` audit entries from index `from`, as their canonical bytes.
    public func auditEntries(from index: UInt64, limit: Int) throws -> [[UInt8]] {
        try readIndexed { txn, tail in
            var entries: [[UInt8]] = []
            try visitAuditEntries(from: index, limit: limit, in: txn, tail: tail) { _, entry in entries.append(Array(entry)) }
            return entries
        }
    }

    /// Visits the audit entries from `index`, at most `limit`, up to what was committed when
    /// `tail` was taken (before `txn` began), each with its index and canonical bytes: from
    /// `audit`, or from the event record that holds a `published` entry (which `audit` or the
    /// tail refers to).
    func visitAuditEntries(
        from index: UInt64, limit: Int, in txn: borrowing ReadTransaction, tail: IndexTail.View,
        _ body: (UInt64, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard index < tail.auditCount, limit > 0 else { return }
        let end = UInt64(limit) >= tail.auditCount - index ? tail.auditCount : index + UInt64(limit)
        func embedded(_ position: UInt64, in sequence: UInt64) throws -> UnsafeRawBufferPointer {
            guard let record = try BigEndianKey.u64(sequence).withUnsafeBytes({ try txn.get(schema.log, key: $0) }),
                let (stored, entry) = try EventView(sequence: sequence, record: record).embeddedAudit(), stored == position
            else { throw StoreError.corruptRecord("audit entry \(position) refers to event \(sequence), which does not hold it") }
            return entry
        }
        try txn.withCursor(schema.audit) { cursor in
            var entry = try cursor.seek(atOrAfter: BigEndianKey.u64(index))
            var position = index
            while position < end {
                if let current = entry, current.key.bigEndianUInt64(at: 0) == position {
                    if let sequence = IndexTail.auditReference(in: current.value) {
                        try body(position, try embedded(position, in: sequence))
                    } else {
                        try body(position, current.value)
                    }
                    entry = try cursor.next()
                } else if let sequence = tail.auditReference(position) {
                    try body(position, try embedded(position, in: sequence))
                } else {
                    throw StoreError.corruptRecord("audit entry \(position) is missing")
                }
                position += 1
            }
        }
    }

    /// The name of every topic the store holds an event of, declared now or not.
    public func topicNames() -> [String] {
        names.names(kind: .topic)
    }

    /// Map size and use, last sequence and audit count.
    public func statistics() -> StoreStatistics {
        let info = resizeLock.withReadLock { environment.info() }
        let time = writer.statistics.time
        let merges = writer.statistics.merges
        let limits = writer.mapLimits
        var statistics = StoreStatistics(
            mapSize: info.mapSize, maxMapSize: limits.maxMapSize, usedBytes: info.usedBytes,
            lastSequence: lastSequence, auditCount: auditCount,
            writerApplyingNanoseconds: time.applying, writerCommittingNanoseconds: time.committing,
            writerCPUNanoseconds: time.cpu, dedupMerges: merges.count, dedupMergeNanoseconds: merges.nanoseconds)
        statistics.publishLimit = limits.publishLimit
        statistics.isRefusingPublishes = writer.isRefusingPublishes
        let lingers = writer.statistics.lingers
        statistics.bookkeepingLingers = lingers.count
        statistics.bookkeepingLingerRides = lingers.rode
        return statistics
    }

    /// Writes a consistent, compacted copy of the store into the empty directory `path` while
    /// the exchange keeps running (a hot backup).
    public func backup(to path: String) throws {
        try resizeLock.withReadLock { try environment.copy(to: path, compact: true) }
    }
}
