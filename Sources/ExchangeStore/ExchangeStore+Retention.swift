import ExchangeModel
import LMDB

extension ExchangeStore {
    /// Removes up to `budget` expired events, oldest first within each topic, in one writer
    /// operation queued behind publishes (bookkeeping): the log record, its topic and inbox
    /// entries, its time index entry, and dead letters of it. A pending delivery of it stays
    /// (an acknowledgement writes its receipt; a redelivery reports the removal). The evidence
    /// stays: the `published` audit entry the record held moves into `audit` whole, and the
    /// Merkle tree, receipts and checkpoints are not touched. An event a registry entry shows as
    /// its current data leaves a copy of its record in `registry_data` (dropped when the entry's
    /// data changes), so registry answers do not change. The deduplication entry stays: a repeat
    /// of a removed event's (publisher, id) is still recognised.
    ///
    /// Only events whose index entries are merged and whose deduplication entries are in a run
    /// are removed: nothing held in memory refers to a removed event, and a restart rebuilds
    /// nothing from it.
    /// - Parameters:
    ///   - rules: the topics with a policy that removes events.
    ///   - now: the time ages count from (ns since the Unix epoch).
    ///   - budget: the most events removed by this step (1 to 100,000).
    ///   - flushing: when expired events wait for the index tail's merge or a deduplication run
    ///     (``RetentionReport/waiting``), merge the tail in this commit and freeze the recent
    ///     deduplication entries into a run, however few. Without it a store with little traffic
    ///     reaches those thresholds (2,048 and 65,536 events by default) only slowly.
    public func expire(_ rules: [RetentionRule], now: UInt64, budget: Int, flushing: Bool = false) async throws -> RetentionReport {
        let budget = min(max(budget, 1), 100_000)
        let rules = rules.filter(\.policy.removesEvents)
        guard !rules.isEmpty else { return RetentionReport() }
        return try await perform(bookkeeping: true) { context in
            try self.expireStep(rules, now: now, budget: budget, flushing: flushing, context: &context)
        }
    }

    /// How many events of `topic` the live store holds (what retention counts against
    /// `max_events`).
    public func retainedCount(topic: String) throws -> UInt64 {
        guard let id = names.id(of: topic, kind: .topic) else { return 0 }
        return try readIndexed { txn, tail in
            let merged = TopicCounts.count(try txn.get(schema.meta, key: TopicCounts.key(id)))
            return merged + UInt64(tail.topic(id, after: 0, limit: .max).count)
        }
    }

    /// Whether retention removed any event: a registry rewrite from the log would lose the
    /// entries whose events are gone.
    public func hasExpiredEvents() throws -> Bool {
        try read { txn in try txn.withCursor(schema.expired) { try $0.first() != nil } }
    }

    /// What retention removed of `topic`, oldest range first.
    public func expiredRanges(topic: String) throws -> [ExpiredRange] {
        guard let id = names.id(of: topic, kind: .topic) else { return [] }
        return try read { txn in
            try txn.withCursor(schema.expired) { cursor in
                var ranges: [ExpiredRange] = []
                var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(id, 0))
                while let current = entry, current.key.bigEndianUInt32(at: 0) == id, ranges.count < 100_000 {
                    ranges.append(ExpiredRange(topic: topic, key: current.key, value: current.value))
                    entry = try cursor.next()
                }
                return ranges
            }
        }
    }

    /// The range that removed event `sequence` of `topic`, or `nil` when retention did not remove
    /// it.
    public func expiredRange(topic: String, containing sequence: UInt64) throws -> ExpiredRange? {
        guard let id = names.id(of: topic, kind: .topic) else { return nil }
        return try read { txn in
            try txn.withCursor(schema.expired) { cursor in
                guard let found = try cursor.seek(atOrAfter: BigEndianKey.pair(id, sequence)), found.key.bigEndianUInt32(at: 0) == id else {
                    return nil
                }
                let range = ExpiredRange(topic: topic, key: found.key, value: found.value)
                return range.first <= sequence ? range : nil
            }
        }
    }

    /// The last sequence of any topic that retention removed through, per topic: a replay from
    /// below it misses the removed events.
    public func expiredThrough() throws -> [String: UInt64] {
        let topics = names.names(kind: .topic).compactMap { name in names.id(of: name, kind: .topic).map { (name, $0) } }
        return try read { txn in
            try txn.withCursor(schema.expired) { cursor in
                var through: [String: UInt64] = [:]
                for (name, id) in topics {
                    let found = try cursor.seek(atOrAfter: BigEndianKey.pair(id, .max))
                    let candidate = found == nil ? try cursor.last() : try cursor.previous()
                    if let current = candidate, current.key.bigEndianUInt32(at: 0) == id { through[name] = current.key.bigEndianUInt64(at: 4) }
                }
                return through
            }
        }
    }

    private func expireStep(_ rules: [RetentionRule], now: UInt64, budget: Int, flushing: Bool, context: inout BatchContext) throws -> RetentionReport {
        let meta = schema.meta
        // Only what no memory refers to: merged index entries, deduplication entries in a run.
        let indexed = try context.txn.get(meta, key: IndexMark.key).flatMap { bytes in bytes.withUnsafeBytes { IndexMark($0) } }?.sequence ?? 0
        let deduplicated = try DedupCache.mergedThrough(context.txn.get(meta, key: DedupCache.mergedThroughKey))
        let limit = min(indexed, deduplicated)
        var report = RetentionReport()
        defer {
            if flushing, report.waiting {
                context.mergeIndexTail = true
                dedupCache.freezeRequested = true
            }
        }
        var subscriptionsByOwner: [String: [UInt32]]?
        let holds = try LegalHoldMatcher(context, meta: meta)
        var heldWalked = 0
        for rule in rules {
            guard let topicID = context.existingID(rule.topic, .topic) else { continue }
            guard report.removed < budget else {
                // The budget went to earlier topics: this one waits for the next step.
                report.more = true
                break
            }
            // A hold on the topic keeps all of it.
            if holds.covers(topic: rule.topic) { continue }
            let countKey = TopicCounts.key(topicID)
            var count = TopicCounts.count(try context.txn.get(meta, key: countKey))
            // The topic's newest events are still in the index tail: they count, but wait.
            let unmerged = indexTail.view.topic(topicID, after: 0, limit: .max)
            let (ageCutoff, ageOverflow) = (rule.policy.maxAge ?? 0).multipliedReportingOverflow(by: 1_000_000_000)
            let oldestKept = rule.policy.maxAge == nil || ageOverflow || ageCutoff >= now ? 0 : now - ageCutoff
            // The topic's oldest events in order, while they are expired.
            var expired: [(sequence: UInt64, record: [UInt8])] = []
            // Held events stay; the removed events on either side of one make separate ranges.
            var runStarts = [0]
            var lastHeld: UInt64?
            let keptThrough = try LegalHoldKeys.keptThrough(topicID, context.txn, meta: meta)
            // Held events older than the cut do not count against `max_events`: the others go
            // as they would without the hold.
            var held = keptThrough?.held ?? 0
            // What stays if the events chosen so far go; saturating, should a count ever lag.
            func remaining() -> UInt64 {
                let live = count + UInt64(unmerged.count)
                let going = UInt64(expired.count) + held
                return live > going ? live - going : 0
            }
            var exhausted = true
            // Leaves `sequence` in place and walks on past it; `false` when this step walked
            // past as many as its budget allows.
            func walkPast(_ sequence: UInt64) -> Bool {
                guard heldWalked < budget else {
                    report.more = true
                    return false
                }
                heldWalked += 1
                if runStarts[runStarts.count - 1] != expired.count { runStarts.append(expired.count) }
                lastHeld = sequence
                held += 1
                exhausted = true
                return true
            }
            try context.txn.withCursor(schema.topicIndex) { cursor in
                var entry = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, keptThrough.map { $0.sequence &+ 1 } ?? 0))
                while let current = entry, current.key.bigEndianUInt32(at: 0) == topicID {
                    let sequence = current.key.bigEndianUInt64(at: 4)
                    exhausted = false
                    guard report.removed + expired.count < budget else {
                        report.more = true
                        break
                    }
                    let overCount = rule.policy.maxEvents.map { remaining() > $0 } ?? false
                    let found = try context.txn.get(schema.log, key: BigEndianKey.u64(sequence))
                    guard let record = found, try isRemovable(sequence, record: record, txn: context.txn) else {
                        // One bad record does not stall retention: it stays, is reported, and
                        // the walk goes on past it as past a held one.
                        guard walkPast(sequence) else { break }
                        report.unreadable.append(sequence)
                        entry = try cursor.next()
                        continue
                    }
                    let tooOld = record.withUnsafeBytes { EventView(sequence: sequence, record: $0).receivedAt } < oldestKept
                    guard overCount || tooOld else { break }
                    if try holds.covers(record: record) {
                        // Walking past held events counts against a budget of its own.
                        guard walkPast(sequence) else { break }
                        entry = try cursor.next()
                        continue
                    }
                    guard sequence <= limit else {
                        report.waiting = true
                        break
                    }
                    // An archiving topic's event goes only once the archive holds it.
                    guard rule.allowsRemoval(of: sequence) else { break }
                    expired.append((sequence, record))
                    exhausted = true
                    entry = try cursor.next()
                }
            }
            // Every merged event went: is the oldest unmerged one expired too?
            if exhausted, let first = unmerged.first, let record = try context.txn.get(schema.log, key: BigEndianKey.u64(first)),
                record.count > EventRecord.receivedAtOffset + 8
            {
                let overCount = rule.policy.maxEvents.map { remaining() > $0 } ?? false
                let tooOld = record.withUnsafeBytes { EventView(sequence: first, record: $0).receivedAt } < oldestKept
                if overCount || tooOld { report.waiting = true }
            }
            // Every event of the topic through the last held one walked past is held (or goes
            // now): the next step starts after it, however many there are.
            if let lastHeld { try LegalHoldKeys.setKeptThrough(topicID, sequence: lastHeld, held: held, &context.txn, meta: meta) }
            guard !expired.isEmpty else { continue }
            if subscriptionsByOwner == nil { subscriptionsByOwner = try subscriptionOwners(context.txn) }
            for (sequence, record) in expired {
                if try remove(sequence, record: record, topicID: topicID, rule: rule, owners: subscriptionsByOwner ?? [:], context: &context) {
                    report.keptForRegistry += 1
                }
            }
            count -= min(count, UInt64(expired.count))
            try context.txn.put(meta, key: countKey, value: count.metaValue)
            runStarts = try splitAtEarlierRanges(topicID, expired.map(\.sequence), runStarts: runStarts, txn: context.txn)
            for (position, start) in runStarts.enumerated() {
                let end = position + 1 < runStarts.count ? runStarts[position + 1] : expired.count
                guard start < end else { continue }
                try recordExpired(
                    topicID, first: expired[start].sequence, last: expired[end - 1].sequence, count: UInt64(end - start), now: now, txn: &context.txn)
            }
            // Before the commit: a delivery round that sees the removal sees the mark.
            if let last = expired.last { noteRemoved(through: last.sequence) }
            report.removed += expired.count
        }
        return report
    }

    /// Whether `record` can be removed as ``remove(_:record:topicID:rule:owners:context:)``
    /// removes it: it parses, and the audit entry it holds is the one `audit` refers to it by.
    /// A record that fails is left in place and reported (``RetentionReport/unreadable``).
    func isRemovable(_ sequence: UInt64, record: [UInt8], txn: borrowing WriteTransaction) throws -> Bool {
        guard record.count > EventRecord.receivedAtOffset + 8 else { return false }
        // The index of the audit entry the record holds (nil for a record of format 4), or
        // not valid for a record that does not parse.
        let parsed: (index: UInt64?, valid: Bool) = record.withUnsafeBytes { bytes in
            let view = EventView(sequence: sequence, record: bytes)
            do {
                _ = try view.fields()
                return (try view.embeddedAudit()?.index, true)
            } catch {
                return (nil, false)
            }
        }
        guard parsed.valid else { return false }
        guard let index = parsed.index else { return true }
        guard let value = try txn.get(schema.audit, key: BigEndianKey.u64(index)) else { return false }
        return value.withUnsafeBytes { IndexTail.auditReference(in: $0) } == sequence
    }

    /// Removes one event's record and everything that only it needs.
    /// - Returns: whether the registry kept a copy of the record.
    private func remove(
        _ sequence: UInt64, record: [UInt8], topicID: UInt32, rule: RetentionRule, owners: [String: [UInt32]], context: inout BatchContext
    ) throws -> Bool {
        let sequenceKey = BigEndianKey.u64(sequence)
        let (header, embedded, stored) = try record.withUnsafeBytes { bytes in
            let view = EventView(sequence: sequence, record: bytes)
            var reader = RecordReader(bytes)
            let header = try reader.readHeader()
            var routes: [UInt32] = []
            var agreements: Set<AgreementRouteCounts.Key> = []
            for position in 0..<(header.auditIndex == nil ? 0 : Int(header.routeCount)) {
                let route = header.route(position)
                routes.append(route.consumer)
                agreements.insert(AgreementRouteCounts.Key(agreement: route.agreement, version: route.version))
            }
            let embedded = try view.embeddedAudit().map { ($0.index, Array($0.entry)) }
            let stored = rule.registry == nil ? nil : try view.decode()
            return ((receivedAt: header.receivedAt, consumers: routes, agreements: agreements, legacy: header.auditIndex == nil), embedded, stored)
        }
        // The evidence: the audit entry the record holds moves into `audit`, whole.
        if let (index, entry) = embedded {
            let indexKey = BigEndianKey.u64(index)
            if let value = try context.txn.get(schema.audit, key: indexKey) {
                guard value.withUnsafeBytes({ IndexTail.auditReference(in: $0) }) == sequence else {
                    throw StoreError.corruptRecord("audit entry \(index) does not refer to event \(sequence), which holds it")
                }
                try context.txn.put(schema.audit, key: indexKey, value: entry)
            } else {
                throw StoreError.corruptRecord("audit entry \(index) of event \(sequence) is not merged")
            }
        }
        // The registry's current data stays readable.
        var keptForRegistry = false
        if let collection = rule.registry, let stored, let input = RegistryInput(stored.envelope, collection: collection),
            let collectionID = context.existingID(collection.name, .collection),
            let entry = try context.txn.get(schema.registry, key: RegistryKeys.entry(collectionID, key: input.key)).flatMap(RegistryEntry.init(encoded:)),
            entry.dataSequence == sequence
        {
            try context.txn.put(schema.registryData, key: sequenceKey, value: record)
            keptForRegistry = true
        }
        _ = try context.txn.delete(schema.topicIndex, key: BigEndianKey.pair(topicID, sequence))
        // Inbox entries: the record names its consumers; an older record does not, so every
        // department's key is tried (absent keys cost a look-up).
        let consumers = header.legacy ? names.names(kind: .department).compactMap { names.id(of: $0, kind: .department) } : header.consumers
        for consumer in Set(consumers) {
            _ = try context.txn.delete(schema.inbox, key: BigEndianKey.pair(consumer, sequence))
            guard let name = names.name(of: consumer, kind: .department) else { continue }
            // A pending delivery stays: its acknowledgement still writes the receipt, and a
            // redelivery due reports the removal instead of the event.
            for subscription in owners[name] ?? [] {
                _ = try context.txn.delete(schema.deadLetters, key: BigEndianKey.pair(subscription, sequence))
            }
        }
        _ = try context.txn.delete(schema.timeIndex, key: BigEndianKey.pair(header.receivedAt, sequence))
        try keepLastRoutedTime(sequence, receivedAt: header.receivedAt, agreements: header.agreements, txn: &context.txn)
        _ = try context.txn.delete(schema.log, key: sequenceKey)
        return keptForRegistry
    }

    /// Subscription ids by owning department.
    private func subscriptionOwners(_ txn: borrowing WriteTransaction) throws -> [String: [UInt32]] {
        try txn.withCursor(schema.subscriptions) { cursor in
            var owners: [String: [UInt32]] = [:]
            var entry = try cursor.first()
            while let current = entry {
                let id = UInt32(truncatingIfNeeded: current.key.bigEndianUInt64(at: 0))
                let record = try subscriptionRecords.record(id, bytes: Array(current.value))
                owners[record.owner, default: []].append(id)
                entry = try cursor.next()
            }
            return owners
        }
    }

    /// Adds a removed range to `expired`, extending the topic's last range while it was started
    /// less than an hour ago (so the database grows by about one key per topic and hour) and
    /// no event of the topic lies between the two (one a legal hold keeps).
    private func recordExpired(_ topicID: UInt32, first: UInt64, last: UInt64, count: UInt64, now: UInt64, txn: inout WriteTransaction) throws {
        var range = (first: first, count: count, firstRemovedAt: now)
        let previous = try txn.withCursor(schema.expired) { cursor -> (key: [UInt8], first: UInt64, last: UInt64, count: UInt64, at: UInt64)? in
            let found = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, .max))
            let candidate = found == nil ? try cursor.last() : try cursor.previous()
            guard let current = candidate, current.key.bigEndianUInt32(at: 0) == topicID else { return nil }
            return (
                Array(current.key), current.value.bigEndianUInt64(at: 0), current.key.bigEndianUInt64(at: 4), current.value.bigEndianUInt64(at: 8),
                current.value.bigEndianUInt64(at: 16)
            )
        }
        // Adjacent: nothing of the topic is left between the previous range and this one.
        let adjacent = try previous.map { previous in
            try previous.last < first
                && txn.withCursor(schema.topicIndex) { cursor in
                    guard let next = try cursor.seek(atOrAfter: BigEndianKey.pair(topicID, previous.last + 1)) else { return true }
                    return next.key.bigEndianUInt32(at: 0) != topicID || next.key.bigEndianUInt64(at: 4) > first
                }
        } ?? false
        if let previous, adjacent, now >= previous.at, now - previous.at < 3_600_000_000_000 {
            _ = try txn.delete(schema.expired, key: previous.key)
            range = (previous.first, previous.count + count, previous.at)
        }
        var value = BigEndianKey(capacity: 32)
        value.append(range.first)
        value.append(range.count)
        value.append(range.firstRemovedAt)
        value.append(now)
        try txn.put(schema.expired, key: BigEndianKey.pair(topicID, last), value: value.bytes)
    }
}

extension ExpiredRange {
    init(topic: String, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        self.init(
            topic: topic, first: value.bigEndianUInt64(at: 0), last: key.bigEndianUInt64(at: 4), count: value.bigEndianUInt64(at: 8),
            firstRemovedAt: value.bigEndianUInt64(at: 16), lastRemovedAt: value.bigEndianUInt64(at: 24))
    }
}

/// Each topic's count of events whose index entries are merged, in `meta`: key `topic_events/`,
/// topic id (4) → count (8), big-endian; added to by merges of the index tail, subtracted from
/// by retention.
enum TopicCounts: MetaCounter {
    typealias Count = UInt64
    static let prefix = Array("topic_events/".utf8)
    /// Present once the counts were taken for a store written before they existed.
    static let countedKey = Array("topic_events_counted".utf8)

    static func key(_ topic: UInt32) -> [UInt8] {
        var key = prefix
        withUnsafeBytes(of: topic.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// Counts the merged topic index entries of a store that has no counts yet.
    static func countIfNeeded(_ txn: inout WriteTransaction, schema: StoreSchema) throws {
        _ = try countOnce(&txn, meta: schema.meta, from: schema.topicIndex) { key, _ in (key.bigEndianUInt32(at: 0), 1) }
    }
}

extension ExchangeStore {
    /// The memory the deduplication index takes: its runs' Bloom filters and, at about 64 bytes
    /// each, the entries held in memory. Read on the writer, between commits.
    package func deduplicationMemory() async throws -> (filterBytes: Int, recentEntries: Int) {
        try await perform(bookkeeping: true) { _ in
            (self.dedupCache.runs.filterBytes, self.dedupCache.recent.count + (self.dedupCache.frozen?.entries.count ?? 0))
        }
    }
}
