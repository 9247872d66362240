/// Fixed-layout keys with big-endian integers, so that LMDB's bytewise order is numeric order.
struct BigEndianKey {
    private(set) var bytes: [UInt8]

    init(capacity: Int = 16) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    mutating func append(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    static func u64(_ value: UInt64) -> [UInt8] {
        var key = BigEndianKey(capacity: 8)
        key.append(value)
        return key.bytes
    }

    static func pair(_ first: UInt32, _ second: UInt64) -> [UInt8] {
        var key = BigEndianKey(capacity: 12)
        key.append(first)
        key.append(second)
        return key.bytes
    }

    static func pair(_ first: UInt64, _ second: UInt64) -> [UInt8] {
        var key = BigEndianKey(capacity: 16)
        key.append(first)
        key.append(second)
        return key.bytes
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a big-endian integer at `offset`.
    @inline(__always)
    func bigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads a big-endian integer at `offset`.
    @inline(__always)
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
