import ExchangeAudit
import ExchangeModel

/// The key layouts of the registry databases. Byte order is the order of entries, so a cursor
/// position is just a key.
///
/// - `registry`: collection id (4, big-endian), entry key (UTF-8).
/// - `registry_index`: collection id (4), index (1), value (escaped UTF-8), 0x00, entry key.
/// - `registry_history`: collection id (4), the entry key's length (2, big-endian) and bytes,
///   sequence (8, big-endian). An entry key longer than ``maxHistoryInlineKeyBytes`` is written
///   as the length 0xFFFF and the key's SHA-256 digest (32 bytes), so that every history key
///   stays within LMDB's 511 bytes.
///
/// Values are escaped so that 0x00 ends them: 0x00 → 0x01 0x01, 0x01 → 0x01 0x02. A value that
/// is a prefix of another therefore sorts before it, and all keys of one value are contiguous.
/// The history keys of one entry share their prefix (the length makes a key that is a prefix of
/// another a different prefix), so they are contiguous and in log order.
enum RegistryKeys {
    /// The longest entry key written as it is in a history key: 511 − 4 − 2 − 8 bytes.
    static let maxHistoryInlineKeyBytes = InputBounds.maxKeyBytes - 4 - 2 - 8

    /// The bytes of an entry's history keys before the sequence.
    static func historyPrefix(_ collection: UInt32, key: String) -> [UInt8] {
        var bytes = entryPrefix(collection)
        let utf8 = Array(key.utf8)
        if utf8.count <= maxHistoryInlineKeyBytes {
            bytes.append(UInt8(utf8.count >> 8))
            bytes.append(UInt8(utf8.count & 0xFF))
            bytes.append(contentsOf: utf8)
        } else {
            bytes.append(contentsOf: [0xFF, 0xFF])
            // SHA-256 cannot fail on a byte array; an empty digest would only share a prefix.
            bytes.append(contentsOf: (try? HashAlgorithm.sha256.digest(utf8))?.bytes ?? [])
        }
        return bytes
    }

    /// The key of the history item of event `sequence` of an entry.
    static func history(_ collection: UInt32, key: String, sequence: UInt64) -> [UInt8] {
        historyPrefix(collection, key: key) + BigEndianKey.u64(sequence)
    }

    /// The bytes of a history key of `key`: at most 4 + 2 + 497 + 8 = 511.
    static func historyKeyBytes(key: String) -> Int {
        let count = key.utf8.count
        return 4 + 2 + (count <= maxHistoryInlineKeyBytes ? count : 32) + 8
    }

    static func entryPrefix(_ collection: UInt32) -> [UInt8] {
        var key = BigEndianKey(capacity: 4)
        key.append(collection)
        return key.bytes
    }

    static func entry(_ collection: UInt32, key: String) -> [UInt8] {
        var bytes = entryPrefix(collection)
        bytes.append(contentsOf: key.utf8)
        return bytes
    }

    /// The prefix of one index, or of one value of it when `value` is given.
    static func indexPrefix(_ collection: UInt32, _ index: RegistryIndex, value: String? = nil) -> [UInt8] {
        var bytes = entryPrefix(collection)
        bytes.append(index.rawValue)
        if let value {
            appendEscaped(value, to: &bytes)
            bytes.append(0)
        }
        return bytes
    }

    static func index(_ collection: UInt32, _ index: RegistryIndex, value: String, key: String) -> [UInt8] {
        var bytes = indexPrefix(collection, index, value: value)
        bytes.append(contentsOf: key.utf8)
        return bytes
    }

    /// The entry key at the end of an index key (after the value's 0x00).
    static func entryKey(fromIndexKey key: UnsafeRawBufferPointer) -> String? {
        guard key.count > 5, let end = key[5...].firstIndex(of: 0) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: key[(end + 1)...]), as: UTF8.self)
    }

    private static func appendEscaped(_ value: String, to bytes: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case 0: bytes.append(contentsOf: [1, 1])
            case 1: bytes.append(contentsOf: [1, 2])
            default: bytes.append(byte)
            }
        }
    }
}
