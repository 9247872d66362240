public import ExchangeModel
import LMDB

extension ExchangeStore {
    /// The legal holds that stand, oldest first.
    public func legalHolds() throws -> [LegalHold] {
        try read { txn in try txn.withCursor(schema.meta) { cursor in try LegalHoldKeys.holds(&cursor) } }
    }

    /// Sets a legal hold and writes its audit entry in the same transaction; a hold of the same
    /// scope and value that already stands is answered as it is, and nothing is written.
    /// - Parameters:
    ///   - scope: what kind of thing the hold covers.
    ///   - value: the topic or topic pattern, agreement id, department id or subject (1 to
    ///     ``LegalHold/maxValueBytes`` UTF-8 bytes).
    ///   - reason: why (at most ``LegalHold/maxReasonBytes``).
    ///   - setBy: who sets it (at most ``LegalHold/maxActorBytes``).
    ///   - now: when, in nanoseconds since the Unix epoch.
    ///   - audit: the entry that records the new hold.
    /// - Throws: `store.invalid_request` for a value, reason or actor over its limit, a topic
    ///   value that is not a topic name or pattern, or a department value that is not a
    ///   department id (``LegalHold/problem(scope:value:reason:setBy:)``, checked before the
    ///   writer).
    public func setLegalHold(
        scope: LegalHold.Scope, value: String, reason: String, setBy: String, now: UInt64, audit: @escaping @Sendable (LegalHold) -> AuditEvent
    ) async throws -> LegalHoldOutcome {
        if let problem = LegalHold.problem(scope: scope, value: value, reason: reason, setBy: setBy) {
            throw StoreError(code: .invalidRequest, message: problem)
        }
        let key = LegalHoldKeys.key(scope, value)
        guard key.count <= InputBounds.maxKeyBytes else {
            throw StoreError(code: .invalidRequest, message: "the hold's key is \(key.count) bytes; LMDB keys stop at \(InputBounds.maxKeyBytes)")
        }
        return try await perform { context in
            let meta = self.schema.meta
            if let stored = try context.txn.get(meta, key: key) {
                return .existing(try LegalHoldKeys.decode(key: key, value: stored))
            }
            let count = try context.txn.withCursor(meta) { cursor in try LegalHoldKeys.holds(&cursor).count }
            guard count < LegalHold.maxHolds else { return .limitReached }
            let id = (try context.txn.get(meta, key: LegalHoldKeys.nextIDKey).map { $0.withUnsafeBytes { $0.bigEndianUInt64(at: 0) } } ?? 0) + 1
            let hold = LegalHold(id: id, scope: scope, value: value, reason: reason, setBy: setBy, setAt: now)
            try context.txn.put(meta, key: LegalHoldKeys.nextIDKey, value: BigEndianKey.u64(id))
            try context.txn.put(meta, key: key, value: LegalHoldKeys.encode(hold))
            _ = try context.appendAudit(audit(hold))
            return .set(hold)
        }
    }

    /// Lifts legal hold `id` and writes its audit entry in the same transaction; the next
    /// retention steps remove what it kept and what expired meanwhile.
    /// - Parameters:
    ///   - id: the hold's number.
    ///   - audit: the entry that records the lift.
    /// - Returns: the hold lifted, or `nil` when none of that number stands (nothing written).
    public func liftLegalHold(id: UInt64, audit: @escaping @Sendable (LegalHold) -> AuditEvent) async throws -> LegalHold? {
        try await perform { context in
            let meta = self.schema.meta
            let hold = try context.txn.withCursor(meta) { cursor in try LegalHoldKeys.holds(&cursor).first { $0.id == id } }
            guard let hold else { return nil }
            _ = try context.txn.delete(meta, key: LegalHoldKeys.key(hold.scope, hold.value))
            // What retention walked past as held may now go: every topic's walk starts over.
            let marks = try context.txn.withCursor(meta) { cursor in
                var keys: [[UInt8]] = []
                var entry = try cursor.seek(atOrAfter: LegalHoldKeys.keptThroughPrefix)
                while let current = entry, current.key.starts(with: LegalHoldKeys.keptThroughPrefix) {
                    keys.append(Array(current.key))
                    entry = try cursor.next()
                }
                return keys
            }
            for mark in marks { _ = try context.txn.delete(meta, key: mark) }
            _ = try context.appendAudit(audit(hold))
            return hold
        }
    }
}

extension ExchangeStore {
    /// Where the ranges of the removed events `sequences` (of one topic, in order) start, given
    /// the starts `runStarts` found so far: also after each removed event that an earlier range
    /// follows. Events a hold kept and a lift let go lie between earlier ranges; a range of them
    /// must not span those, so that every removed sequence lies in exactly one range.
    /// One look-up per topic unless something is removed from before the topic's last range.
    func splitAtEarlierRanges(_ topicID: UInt32, _ sequences: [UInt64], runStarts: [Int], txn: borrowing WriteTransaction) throws -> [Int] {
        guard let first = sequences.first else { return runStarts }
        return try txn.withCursor(schema.expired) { cursor in
            let found = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, first))
            guard let found, found.key.bigEndianUInt32(at: 0) == topicID else { return runStarts }
            var starts = Set(runStarts)
            for position in 1..<sequences.count {
                guard let next = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, sequences[position - 1])),
                    next.key.bigEndianUInt32(at: 0) == topicID
                else { break }
                if next.key.bigEndianUInt64(at: 4) < sequences[position] { starts.insert(position) }
            }
            return starts.sorted()
        }
    }
}

/// The keys of legal holds in `meta`:
///
/// - `legal_holds/` + scope byte + value → u64 id, u64 set at, str set by, str reason
///   (``RecordWriter`` layout);
/// - `legal_holds_next_id` → the last id given (u64, big-endian);
/// - `legal_holds_kept_through/` + topic number → a sequence through which every event of the
///   topic still in `topic_index` is held (or unreadable, ``RetentionReport/unreadable``), and
///   how many those are (u64, u64, big-endian), so a retention step starts its walk after it
///   (written by retention, deleted whenever a hold is lifted).
enum LegalHoldKeys {
    static let prefix = Array("legal_holds/".utf8)
    static let nextIDKey = Array("legal_holds_next_id".utf8)
    static let keptThroughPrefix = Array("legal_holds_kept_through/".utf8)

    static func key(_ scope: LegalHold.Scope, _ value: String) -> [UInt8] {
        prefix + [scope.byte] + Array(value.utf8)
    }

    static func encode(_ hold: LegalHold) -> [UInt8] {
        var writer = RecordWriter(capacity: 64 + hold.reason.utf8.count)
        writer.write(hold.id)
        writer.write(hold.setAt)
        writer.write(hold.setBy)
        writer.write(hold.reason)
        return writer.bytes
    }

    static func decode(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> LegalHold {
        guard key.count > prefix.count, let scope = LegalHold.Scope(byte: key[prefix.count]) else {
            throw StoreError.corruptRecord("a legal hold's key has no scope")
        }
        var reader = RecordReader(value)
        let id = try reader.readUInt64()
        let setAt = try reader.readUInt64()
        let setBy = try reader.readString()
        let reason = try reader.readString()
        let valueBytes = UnsafeRawBufferPointer(rebasing: key[(prefix.count + 1)...])
        return LegalHold(id: id, scope: scope, value: String(decoding: valueBytes, as: UTF8.self), reason: reason, setBy: setBy, setAt: setAt)
    }

    static func decode(key: [UInt8], value: [UInt8]) throws -> LegalHold {
        try key.withUnsafeBytes { key in try value.withUnsafeBytes { value in try decode(key: key, value: value) } }
    }

    /// Every hold, by id.
    static func holds(_ cursor: inout Cursor) throws -> [LegalHold] {
        var holds: [LegalHold] = []
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            holds.append(try decode(key: current.key, value: current.value))
            entry = try cursor.next()
        }
        return holds.sorted { $0.id < $1.id }
    }

    static func keptThroughKey(_ topic: UInt32) -> [UInt8] {
        var key = keptThroughPrefix
        withUnsafeBytes(of: topic.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// The topic's mark: the sequence through which every event of it in `topic_index` is
    /// held, and how many events that is.
    static func keptThrough(_ topic: UInt32, _ txn: borrowing WriteTransaction, meta: Database) throws -> (sequence: UInt64, held: UInt64)? {
        guard let value = try txn.get(meta, key: keptThroughKey(topic)), value.count == 16 else { return nil }
        return value.withUnsafeBytes { ($0.bigEndianUInt64(at: 0), $0.bigEndianUInt64(at: 8)) }
    }

    static func setKeptThrough(_ topic: UInt32, sequence: UInt64, held: UInt64, _ txn: inout WriteTransaction, meta: Database) throws {
        try txn.put(meta, key: keptThroughKey(topic), value: BigEndianKey.pair(sequence, held))
    }
}

/// The legal holds in force during one retention step, resolved to what records hold: topic
/// names and patterns, interned agreement and department numbers, publisher and subject bytes.
///
/// Topic holds are asked once per topic and step (``covers(topic:)``), never per event: a
/// pattern hold costs one match per topic a step walks.
struct LegalHoldMatcher {
    private var topics: Set<String> = []
    private var topicPatterns: [TopicPattern] = []
    private var agreements: Set<UInt32> = []
    private var consumers: Set<UInt32> = []
    private var publishers: Set<[UInt8]> = []
    private var subjects: Set<[UInt8]> = []
    /// Whether a hold names an agreement or a department: what a record from before routes were
    /// recorded (version 1) cannot be checked against, so such a record is kept.
    private var namesRoutes = false

    /// Whether no hold stands.
    private(set) var isEmpty = true

    /// The holds `meta` keeps, as `context` sees them.
    init(_ context: borrowing BatchContext, meta: Database) throws {
        let holds = try context.txn.withCursor(meta) { cursor in try LegalHoldKeys.holds(&cursor) }
        isEmpty = holds.isEmpty
        for hold in holds {
            switch hold.scope {
            case .topic:
                if let pattern = hold.topicPattern, !pattern.isLiteral {
                    topicPatterns.append(pattern)
                } else {
                    topics.insert(hold.value)
                }
            case .agreement:
                namesRoutes = true
                if let id = context.existingID(hold.value, .agreement) { agreements.insert(id) }
            case .department:
                namesRoutes = true
                publishers.insert(Array(hold.value.utf8))
                if let id = context.existingID(hold.value, .department) { consumers.insert(id) }
            case .subject: subjects.insert(Array(hold.value.utf8))
            }
        }
    }

    /// Whether a hold keeps every event of `topic`: one names it, or a pattern hold matches it.
    func covers(topic: String) -> Bool {
        topics.contains(topic) || topicPatterns.contains { $0.matches(name: topic) }
    }

    /// Whether a hold keeps the event stored as `record`: routed under a held agreement, to or
    /// from a held department, or with a held subject.
    func covers(record: [UInt8]) throws -> Bool {
        guard namesRoutes || !subjects.isEmpty else { return false }
        return try record.withUnsafeBytes { bytes in
            var reader = RecordReader(bytes)
            let header = try reader.readHeader()
            if namesRoutes {
                if header.auditIndex == nil { return true }
                for position in 0..<Int(header.routeCount) {
                    let route = header.route(position)
                    if agreements.contains(route.agreement) || consumers.contains(route.consumer) { return true }
                }
            }
            _ = try reader.readRun()
            let source = try reader.readRun()
            _ = try reader.readRun()
            _ = try reader.readRun()
            let subject = try reader.readOptionalRun()
            if !publishers.isEmpty, publishers.contains(Array(source)) { return true }
            if let subject, !subjects.isEmpty, subjects.contains(Array(subject)) { return true }
            return false
        }
    }
}
