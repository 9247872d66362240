public import ExchangeModel
import LMDB

extension ExchangeStore {
    /// Recomputes every registry collection from the event log and compares it with the stored
    /// registry: entries (status, fields, sequences, flags, history count), history items and
    /// index keys, both ways.
    ///
    /// The recomputation runs each event of a feeding topic through `RegistryInput` and
    /// `RegistryEntry.recording`, the functions the live update uses, so a difference means the
    /// stored registry was not written by this log under `feeds` (a changed configuration, an
    /// upgraded store, damage). With `write`, the stored registry is first replaced: cleared,
    /// then every event applied again through the live writer, in chunks, with a marker that
    /// stays until the last chunk committed (``isRegistryRebuildPending``); the comparison
    /// then checks the result. Run it with the daemon stopped: events appended meanwhile would show
    /// as differences.
    /// - Parameters:
    ///   - feeds: the collection each feeding topic feeds, by topic name (from `topics.yaml`).
    ///   - write: replace the stored registry before comparing.
    /// - Returns: the report.
    public func rebuildRegistry(feeds: [String: RegistryCollection], write: Bool = false) async throws -> RegistryRebuildReport {
        var report = RegistryRebuildReport()
        if write {
            // The log no longer holds every event: rebuilt from it, entries whose events
            // retention removed would be lost (their current data is kept in `registry_data`).
            guard try !hasExpiredEvents() else {
                throw StoreError(
                    code: .invalidRequest,
                    message: "retention removed events from this store: a registry rewritten from the log would lose their entries")
            }
            try await replaceRegistry(feeds: feeds)
            report.written = true
        }
        var rebuilt: [String: [String: RebuiltEntry]] = [:]
        try forEachFeedingChunk(feeds: feeds, chunk: 50_000) { inputs, read in
            report.eventsRead += read
            report.eventsApplied += inputs.count
            for (input, sequence) in inputs {
                let step = RegistryEntry.recording(input, sequence: sequence, to: rebuilt[input.collection]?[input.key]?.entry)
                rebuilt[input.collection, default: [:]][input.key, default: RebuiltEntry(entry: step.entry)].record(step)
            }
        }
        for (collection, entries) in rebuilt {
            report.entries[collection] = entries.count
            report.indexKeys += entries.values.reduce(0) { $0 + RegistryIndex.values(of: $1.entry).count }
            report.historyItems += entries.values.reduce(0) { $0 + $1.history.count }
        }
        try compareRegistry(rebuilt.mapValues { $0.mapValues(\.entry) }, into: &report)
        try compareHistories(rebuilt, into: &report)
        if try isRegistryRebuildPending {
            report.difference("the registry awaits a rewrite (an interrupted --write, or an upgraded store); run it with --write")
        }
        return report
    }

    private func compareRegistry(_ rebuilt: [String: [String: RegistryEntry]], into report: inout RegistryRebuildReport) throws {
        try read { txn in
            var storedEntries = 0
            try txn.withCursor(schema.registry) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    storedEntries += 1
                    let collectionID = current.key.bigEndianUInt32(at: 0)
                    let collection = names.name(of: collectionID, kind: .collection) ?? "#\(collectionID)"
                    let key = String(decoding: UnsafeRawBufferPointer(rebasing: current.key[4...]), as: UTF8.self)
                    if let stored = RegistryEntry(encoded: current.value) {
                        if let expected = rebuilt[collection]?[key] {
                            if stored != expected { report.difference("\(collection)/\(key): stored \(stored) but the log gives \(expected)") }
                        } else {
                            report.difference("\(collection)/\(key): stored, but no event of the log feeds it")
                        }
                    } else {
                        report.difference("\(collection)/\(key): the stored entry cannot be decoded")
                    }
                    entry = try cursor.next()
                }
            }
            let expectedEntries = report.entries.values.reduce(0, +)
            if storedEntries < expectedEntries {
                for (collection, entries) in rebuilt {
                    for key in entries.keys.sorted() {
                        guard let collectionID = names.id(of: collection, kind: .collection) else {
                            report.difference("\(collection)/\(key): the log gives an entry, but the collection is not stored")
                            continue
                        }
                        let entryKey = RegistryKeys.entry(collectionID, key: key)
                        if try entryKey.withUnsafeBytes({ try txn.get(schema.registry, key: $0) }) == nil {
                            report.difference("\(collection)/\(key): the log gives an entry, but none is stored")
                        }
                    }
                }
            }
            // Every stored index key must be one the recomputed entries need; with equal counts
            // (LMDB keys are unique) the two sets are then equal.
            var storedKeys = 0
            try txn.withCursor(schema.registryIndex) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    storedKeys += 1
                    let collectionID = current.key.bigEndianUInt32(at: 0)
                    let collection = names.name(of: collectionID, kind: .collection) ?? "#\(collectionID)"
                    let index = current.key.count > 4 ? RegistryIndex(rawValue: current.key[4]) : nil
                    let key = RegistryKeys.entryKey(fromIndexKey: current.key)
                    let expected = key.flatMap { rebuilt[collection]?[$0] }.map(RegistryIndex.values) ?? []
                    let matched = index.map { index in
                        expected.contains { $0.index == index && RegistryKeys.index(collectionID, index, value: $0.value, key: key ?? "").elementsEqual(current.key) }
                    } ?? false
                    if !matched {
                        let value = current.key.count > 5 ? String(decoding: current.key[5...].prefix { $0 != 0 }, as: UTF8.self) : ""
                        let name = index.map { "\($0)" } ?? "index #\(current.key.count > 4 ? current.key[4] : 0)"
                        report.difference("\(collection): index key \(name) '\(value)' → \(key ?? "?") is not needed by the entries the log gives")
                    }
                    entry = try cursor.next()
                }
            }
            let neededKeys = report.indexKeys
            if storedKeys != neededKeys {
                report.difference("the index holds \(storedKeys) keys; the entries the log gives need \(neededKeys)")
            }
        }
    }

    /// Compares the stored history items with the recomputed ones, both ways: walks
    /// `registry_history` in key order (each entry's items are adjacent and in log order) and
    /// checks each entry's items against the log's, then that every recomputed entry has some.
    private func compareHistories(_ rebuilt: [String: [String: RebuiltEntry]], into report: inout RegistryRebuildReport) throws {
        // Each recomputed entry by the prefix of its history keys.
        var expected: [[UInt8]: (collection: String, key: String)] = [:]
        for (collection, entries) in rebuilt {
            guard let collectionID = names.id(of: collection, kind: .collection) else { continue }
            for key in entries.keys { expected[RegistryKeys.historyPrefix(collectionID, key: key)] = (collection, key) }
        }
        var seen: Set<[UInt8]> = []
        try read { txn in
            try txn.withCursor(schema.registryHistory) { cursor in
                var prefix: [UInt8]?
                var items: [RegistryHistoryItem] = []
                var undecodable = false
                func finish() {
                    guard let prefix else { return }
                    seen.insert(prefix)
                    let name = Self.historyName(prefix, expected: expected[prefix], names: names)
                    if undecodable { report.difference("\(name): a stored history item cannot be decoded") }
                    if let owner = expected[prefix], let entry = rebuilt[owner.collection]?[owner.key] {
                        if items != entry.history {
                            report.difference(
                                "\(name): the stored history (\(items.count) items) differs from the one the log gives (\(entry.history.count) items)"
                                    + (Self.firstDifference(items, entry.history).map { ", first at \($0)" } ?? ""))
                        }
                    } else {
                        report.difference("\(name): \(items.count) history items stored, but no event of the log feeds the entry")
                    }
                }
                var current = try cursor.first()
                while let entry = current {
                    report.storedHistoryItems += 1
                    guard entry.key.count > 14 else {
                        report.difference("a registry history key of \(entry.key.count) bytes cannot be decoded")
                        current = try cursor.next()
                        continue
                    }
                    let itemPrefix = Array(entry.key.dropLast(8))
                    if itemPrefix != prefix {
                        finish()
                        prefix = itemPrefix
                        items = []
                        undecodable = false
                    }
                    let sequence = entry.key.bigEndianUInt64(at: entry.key.count - 8)
                    if let item = RegistryHistoryItem(sequence: sequence, encodedValue: entry.value) {
                        items.append(item)
                    } else {
                        undecodable = true
                    }
                    current = try cursor.next()
                }
                finish()
            }
        }
        for (prefix, owner) in expected.sorted(by: { $0.value.collection + "/" + $0.value.key < $1.value.collection + "/" + $1.value.key })
        where !seen.contains(prefix) {
            report.difference("\(owner.collection)/\(owner.key): the log gives a history, but none is stored")
        }
    }

    /// How a difference names the entry of a history prefix.
    private static func historyName(_ prefix: [UInt8], expected: (collection: String, key: String)?, names: NameTable) -> String {
        if let expected { return "\(expected.collection)/\(expected.key)" }
        let collectionID = prefix.withUnsafeBytes { $0.bigEndianUInt32(at: 0) }
        let collection = names.name(of: collectionID, kind: .collection) ?? "#\(collectionID)"
        let length = Int(prefix[4]) << 8 | Int(prefix[5])
        guard length != 0xFFFF, prefix.count == 6 + length else { return "\(collection)/(a long key)" }
        return "\(collection)/\(String(decoding: prefix[6...], as: UTF8.self))"
    }

    /// Where two histories first differ, described.
    private static func firstDifference(_ stored: [RegistryHistoryItem], _ log: [RegistryHistoryItem]) -> String? {
        for (offset, pair) in zip(stored, log).enumerated() where pair.0 != pair.1 {
            return "item \(offset + 1): stored \(pair.0), the log gives \(pair.1)"
        }
        return nil
    }

    /// Whether the stored registry awaits a rewrite (`rebuildRegistry(feeds:write: true)`) to be
    /// complete: one began and did not finish, or the store was upgraded from format 2 (which
    /// had no registry). The daemon refuses to serve it until a rewrite completes.
    public var isRegistryRebuildPending: Bool {
        get throws {
            let schema = self.schema
            return try read { txn in try txn.get(schema.meta, key: StoreSchema.registryRebuildKey) != nil }
        }
    }

    /// Clears the registry databases (entries, index, histories) and applies every event of a feeding topic again through
    /// the live writer, in chunks of 10,000 events per transaction. The clearing transaction
    /// marks the rewrite as pending, and the marker goes only after the last chunk committed.
    private func replaceRegistry(feeds: [String: RegistryCollection]) async throws {
        let schema = self.schema
        try await perform { context in
            for database in [schema.registry, schema.registryIndex, schema.registryHistory] {
                try context.txn.withCursor(database) { cursor in
                    while try cursor.first() != nil { try cursor.deleteCurrent() }
                }
            }
            try context.txn.put(schema.meta, key: StoreSchema.registryRebuildKey, value: [1])
        }
        var chunks: [[(RegistryInput, UInt64)]] = []
        try forEachFeedingChunk(feeds: feeds, chunk: 10_000) { inputs, _ in
            if !inputs.isEmpty { chunks.append(inputs) }
        }
        for chunk in chunks {
            try await perform { context in
                for (input, sequence) in chunk { try context.applyRegistry(input, sequence: sequence) }
            }
        }
        try await perform { context in
            _ = try context.txn.delete(schema.meta, key: StoreSchema.registryRebuildKey)
        }
    }

    /// Reads the log in chunks of `chunk` events, each in its own read transaction, and hands
    /// `body` the registry inputs of each chunk's feeding events (with their sequences) and the
    /// number of events read. Inputs come from `RegistryInput`, as in the live update.
    private func forEachFeedingChunk(
        feeds: [String: RegistryCollection], chunk: Int, _ body: ([(RegistryInput, UInt64)], Int) throws -> Void
    ) throws {
        var position: UInt64 = 1
        while true {
            var inputs: [(RegistryInput, UInt64)] = []
            var visited = 0
            position = try scanLog(from: position, limit: chunk) { view in
                visited += 1
                let event = try view.decode()
                if let collection = feeds[event.envelope.topic], let input = RegistryInput(event.envelope, collection: collection) {
                    inputs.append((input, event.sequence))
                }
                return true
            }
            try body(inputs, visited)
            if visited < chunk { return }
        }
    }
}

/// A registry entry recomputed from the log, with its history.
private struct RebuiltEntry {
    var entry: RegistryEntry
    var history: [RegistryHistoryItem] = []

    mutating func record(_ step: (entry: RegistryEntry, item: RegistryHistoryItem)) {
        entry = step.entry
        history.append(step.item)
    }
}
