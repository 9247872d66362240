/// Appends the fields of a stored record to one reusable byte buffer.
///
/// Integers are little-endian; strings and byte runs carry a 32-bit length prefix; an absent
/// optional string is the length `0xFFFF_FFFF`.
struct RecordWriter {
    var bytes: [UInt8]

    init(capacity: Int = 2048) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    @inline(__always)
    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    @inline(__always)
    mutating func write(_ text: String?) {
        if let text {
            write(text)
        } else {
            write(UInt32.max)
        }
    }

    @inline(__always)
    mutating func write(_ run: [UInt8]) {
        write(UInt32(run.count))
        bytes.append(contentsOf: run)
    }
}

/// Reads what `RecordWriter` wrote, checking every length against the buffer.
struct RecordReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var isAtEnd: Bool { offset == buffer.count }

    mutating func readUInt8() throws(StoreError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func readUInt32() throws(StoreError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func readUInt64() throws(StoreError) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func readString() throws(StoreError) -> String {
        let run = try readRun()
        return String(decoding: run, as: UTF8.self)
    }

    mutating func readOptionalRun() throws(StoreError) -> UnsafeRawBufferPointer? {
        try need(4)
        if buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self) == UInt32.max {
            offset += 4
            return nil
        }
        return try readRun()
    }

    mutating func readRun() throws(StoreError) -> UnsafeRawBufferPointer {
        try readBytes(Int(try readUInt32()))
    }

    /// The next `count` bytes, as they are.
    mutating func readBytes(_ count: Int) throws(StoreError) -> UnsafeRawBufferPointer {
        try need(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
    }

    private func need(_ count: Int) throws(StoreError) {
        if count > buffer.count - offset {
            throw StoreError.corruptRecord("a record ends after \(buffer.count) bytes, inside a field")
        }
    }
}
