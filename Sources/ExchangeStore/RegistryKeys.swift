import ExchangeModel

/// The key layouts of the registry databases. Byte order is the order of entries, so a cursor
/// position is just a key.
///
/// - `registry`: collection id (4, big-endian), entry key (UTF-8).
/// - `registry_index`: collection id (4), index (1), value (escaped UTF-8), 0x00, entry key.
///
/// Values are escaped so that 0x00 ends them: 0x00 → 0x01 0x01, 0x01 → 0x01 0x02. A value that
/// is a prefix of another therefore sorts before it, and all keys of one value are contiguous.
enum RegistryKeys {
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
