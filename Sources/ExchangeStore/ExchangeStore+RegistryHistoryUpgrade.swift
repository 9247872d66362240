import ExchangeModel
import LMDB
import Logging

extension ExchangeStore {
    /// The most entries one step of ``moveRegistryHistories()`` visits.
    static let registryHistoryUpgradeEntries = 10_000
    /// The most history items one step of ``moveRegistryHistories()`` moves (an entry whose
    /// history alone is longer is moved in a step of its own).
    static let registryHistoryUpgradeItems = 100_000

    /// Whether the histories of an upgraded store's registry entries are still to be moved out.
    var isMovingRegistryHistories: Bool {
        get throws { try read { txn in try txn.get(schema.meta, key: StoredKey.upgrade) != nil } }
    }

    /// Moves the histories that the entries of a store of format 6 or before hold inline to
    /// `registry_history`, one key per item, and rewrites each entry without them (encoding
    /// version 2). Runs in steps, each one write transaction that visits the entries after the
    /// position kept in `meta/registry_history_upgrade` and records the new one, so a crash
    /// resumes where the last step committed; the last step removes the position. Runs once,
    /// when the store is opened, before anyone else can write.
    /// - Returns: the entries moved (0 when nothing was to do).
    @discardableResult
    func moveRegistryHistories() throws -> Int {
        guard try isMovingRegistryHistories else { return 0 }
        let started = ContinuousClock.now
        logger.notice(
            "store: moving registry histories out of their entries (once, after the upgrade)",
            metadata: ["directory": "\(configuration.directory)"])
        let schema = self.schema
        let moved = ResultBox<(entries: Int, items: Int)>()
        moved.value = (0, 0)
        while try isMovingRegistryHistories {
            try writeSynchronously { context in
                let step = try Self.moveRegistryHistoryStep(&context.txn, schema: schema)
                moved.value = (moved.value!.entries + step.entries, moved.value!.items + step.items)
            }
        }
        let total = moved.value ?? (0, 0)
        logger.notice(
            "store: registry histories moved",
            metadata: [
                "directory": "\(configuration.directory)", "entries": "\(total.entries)", "items": "\(total.items)",
                "took": "\(ContinuousClock.now - started)",
            ])
        return total.entries
    }

    /// One step of ``moveRegistryHistories()``, in the writer's transaction: visits at most
    /// `entryBudget` entries after the kept position, and stops early once `itemBudget` items
    /// are moved.
    /// - Returns: the entries and items moved.
    static func moveRegistryHistoryStep(
        _ txn: inout WriteTransaction, schema: StoreSchema, entryBudget: Int = registryHistoryUpgradeEntries,
        itemBudget: Int = registryHistoryUpgradeItems
    ) throws -> (entries: Int, items: Int) {
        guard let position = try txn.get(schema.meta, key: StoredKey.upgrade) else { return (0, 0) }
        var inline: [(key: [UInt8], entry: RegistryEntry, history: [RegistryHistoryItem])] = []
        var items = 0
        var last: [UInt8]?
        let exhausted = try txn.withCursor(schema.registry) { cursor -> Bool in
            var current = position.isEmpty ? try cursor.first() : try cursor.seek(atOrAfter: position)
            if let entry = current, !position.isEmpty, entry.key.elementsEqual(position) { current = try cursor.next() }
            var visited = 0
            while let entry = current {
                guard visited < entryBudget, items < itemBudget else { return false }
                visited += 1
                last = Array(entry.key)
                if RegistryEntry.holdsInlineHistory(entry.value) {
                    guard entry.key.count >= 4, let decoded = RegistryEntry.decodingInlineHistory(entry.value) else {
                        throw StoreError.corruptRecord("a registry entry of format 6 cannot be decoded")
                    }
                    inline.append((Array(entry.key), decoded.entry, decoded.history))
                    items += decoded.history.count
                }
                current = try cursor.next()
            }
            return true
        }
        for (key, entry, history) in inline {
            let collection = key.withUnsafeBytes { $0.bigEndianUInt32(at: 0) }
            for item in history {
                try txn.put(
                    schema.registryHistory, key: RegistryKeys.history(collection, key: entry.key, sequence: item.sequence),
                    value: item.encodedValue)
            }
            try txn.put(schema.registry, key: key, value: entry.encoded())
        }
        if exhausted {
            _ = try txn.delete(schema.meta, key: StoredKey.upgrade)
        } else if let last {
            try txn.put(schema.meta, key: StoredKey.upgrade, value: last)
        }
        return (inline.count, items)
    }

    private enum StoredKey {
        static let upgrade = StoreSchema.registryHistoryUpgradeKey
    }
}
