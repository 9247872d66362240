import ExchangeModel
import LMDB

extension BatchContext {
    /// Updates the registry entry of an appended event, its history and its indexes, in the
    /// event's transaction.
    mutating func applyRegistry(_ input: RegistryInput, sequence: UInt64) throws {
        let collection = try intern(input.collection, .collection)
        try RegistryWriter.apply(input, sequence: sequence, collection: collection, txn: &txn, schema: schema)
    }
}

/// Writes registry entries, their history items and their index keys. The live update (each
/// append) and the rebuild with `--write` both go through
/// ``apply(_:sequence:collection:txn:schema:)``, whose state change is `RegistryEntry.recording`.
enum RegistryWriter {
    /// Applies one event to its entry: reads the entry, runs the state machine, writes the entry
    /// and the event's history item (one key of its own: nothing else of the history is read or
    /// written, so the cost does not grow with it) and replaces the index keys whose values
    /// changed.
    static func apply(_ input: RegistryInput, sequence: UInt64, collection: UInt32, txn: inout WriteTransaction, schema: StoreSchema) throws {
        let entryKey = RegistryKeys.entry(collection, key: input.key)
        var old: RegistryEntry?
        if let stored = try entryKey.withUnsafeBytes({ try txn.get(schema.registry, key: $0) }) {
            guard let decoded = RegistryEntry(encoded: stored) else {
                throw StoreError.corruptRecord("the registry entry \(input.collection)/\(input.key) cannot be decoded")
            }
            old = decoded
        }
        let (new, item) = RegistryEntry.recording(input, sequence: sequence, to: old)
        try txn.put(schema.registry, key: entryKey, value: new.encoded())
        try txn.put(schema.registryHistory, key: RegistryKeys.history(collection, key: input.key, sequence: sequence), value: item.encodedValue)
        if let old, old.dataSequence > 0, old.dataSequence != new.dataSequence {
            // A copy retention kept of the entry's former data is no longer needed.
            _ = try txn.delete(schema.registryData, key: BigEndianKey.u64(old.dataSequence))
        }
        let oldValues = old.map(RegistryIndex.values) ?? []
        let newValues = RegistryIndex.values(of: new)
        for (index, value) in oldValues where !newValues.contains(where: { $0.index == index && $0.value == value }) {
            try txn.delete(schema.registryIndex, key: RegistryKeys.index(collection, index, value: value, key: input.key))
        }
        for (index, value) in newValues where !oldValues.contains(where: { $0.index == index && $0.value == value }) {
            try txn.put(schema.registryIndex, key: RegistryKeys.index(collection, index, value: value, key: input.key), value: [])
        }
    }
}
