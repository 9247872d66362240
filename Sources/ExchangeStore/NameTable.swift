import LMDB
import Synchronization

/// Interns names (departments, topics, agreements, subscriptions, registry collections) to small integers, so that
/// index keys are short and fixed-size. The mapping lives in the `meta` database and is cached
/// in memory; new names become visible to readers only after their transaction committed.
final class NameTable: Sendable {
    /// The kinds of interned names; each has its own id space.
    enum Kind: UInt8, CaseIterable, Sendable {
        case department = 1
        case topic = 2
        case agreement = 3
        case subscription = 4
        case collection = 5
    }

    private struct Tables {
        var ids: [Kind: [String: UInt32]] = [:]
        var names: [Kind: [UInt32: String]] = [:]
        var lastID: [Kind: UInt32] = [:]
    }

    private let tables = Mutex(Tables())

    private static let namePrefix: UInt8 = 0x01
    private static let idPrefix: UInt8 = 0x02
    private static let counterPrefix: UInt8 = 0x03

    /// Loads every interned name from `meta`.
    func load(_ txn: borrowing WriteTransaction, meta: Database) throws {
        var loaded = Tables()
        try txn.withCursor(meta) { cursor in
            var entry = try cursor.seek(atOrAfter: [Self.idPrefix])
            while let current = entry, current.key.count == 6, current.key[0] == Self.idPrefix {
                guard let kind = Kind(rawValue: current.key[1]) else { break }
                let id = current.key.bigEndianUInt32(at: 2)
                let name = String(decoding: current.value, as: UTF8.self)
                loaded.ids[kind, default: [:]][name] = id
                loaded.names[kind, default: [:]][id] = name
                loaded.lastID[kind] = max(loaded.lastID[kind] ?? 0, id)
                entry = try cursor.next()
            }
        }
        tables.withLock { $0 = loaded }
    }

    /// The id of a committed name, or `nil`.
    func id(of name: String, kind: Kind) -> UInt32? {
        tables.withLock { $0.ids[kind]?[name] }
    }

    /// The name of a committed id, or `nil`.
    func name(of id: UInt32, kind: Kind) -> String? {
        tables.withLock { $0.names[kind]?[id] }
    }

    /// Every committed name of `kind`.
    func names(kind: Kind) -> [String] {
        tables.withLock { Array(($0.names[kind] ?? [:]).values) }
    }

    /// The highest committed id of `kind`.
    func lastID(kind: Kind) -> UInt32 {
        tables.withLock { $0.lastID[kind] ?? 0 }
    }

    /// Writes a new name into `meta` inside the writer's transaction.
    static func write(name: String, id: UInt32, kind: Kind, txn: inout WriteTransaction, meta: Database) throws {
        var forward: [UInt8] = [namePrefix, kind.rawValue]
        forward.append(contentsOf: name.utf8)
        var idBytes = BigEndianKey(capacity: 4)
        idBytes.append(id)
        try txn.put(meta, key: forward, value: idBytes.bytes)
        var reverse: [UInt8] = [idPrefix, kind.rawValue]
        reverse.append(contentsOf: idBytes.bytes)
        try txn.put(meta, key: reverse, value: Array(name.utf8))
    }

    /// Publishes names written by a committed transaction.
    func didCommit(_ added: [(kind: Kind, name: String, id: UInt32)]) {
        guard !added.isEmpty else { return }
        tables.withLock { tables in
            for entry in added {
                tables.ids[entry.kind, default: [:]][entry.name] = entry.id
                tables.names[entry.kind, default: [:]][entry.id] = entry.name
                tables.lastID[entry.kind] = max(tables.lastID[entry.kind] ?? 0, entry.id)
            }
        }
    }
}
