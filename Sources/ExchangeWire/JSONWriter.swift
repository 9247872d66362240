/// Writes compact JSON into one growing byte buffer: objects, members, escaped strings, raw values.
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []
    private var needsComma = false

    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// Continues writing at the end of `buffer`, which is left empty until ``finish(into:)``.
    package init(appendingTo buffer: inout [UInt8], reserving capacity: Int) {
        swap(&bytes, &buffer)
        // Grow geometrically: reserving exactly count + capacity for every appended event would
        // reallocate, and copy everything written so far, once per event.
        if bytes.capacity - bytes.count < capacity {
            bytes.reserveCapacity(Swift.max(bytes.count + capacity, bytes.capacity * 2))
        }
        needsComma = false
    }

    /// Hands the bytes back to `buffer` (which must be the empty buffer given to `init(appendingTo:)`).
    package mutating func finish(into buffer: inout [UInt8]) {
        swap(&bytes, &buffer)
    }

    package mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member whose value is an array; close it with ``endArray()``.
    package mutating func beginArray(named name: String) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// A member whose value is an object; close it with ``endObject()``.
    package mutating func beginObject(named name: String) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func member(_ name: String, bool value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
        needsComma = true
    }

    /// An array element that is a string.
    package mutating func element(string value: String) {
        separate()
        Self.appendString(value, to: &bytes)
        needsComma = true
    }

    package mutating func member(_ name: String, string value: String) {
        key(name)
        Self.appendString(value, to: &bytes)
        needsComma = true
    }

    package mutating func member(_ name: String, integer value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    package mutating func member(_ name: String, unsigned value: UInt64) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// A member whose value is already valid JSON text, copied as is.
    package mutating func member(_ name: String, raw value: some Collection<UInt8>) {
        key(name)
        bytes.append(contentsOf: value)
        needsComma = true
    }

    /// An array element that is already valid JSON text.
    package mutating func element(raw value: some Collection<UInt8>) {
        separate()
        bytes.append(contentsOf: value)
        needsComma = true
    }

    /// A member's name; its value (an object, an array) is written next.
    package mutating func key(_ name: String) {
        separate()
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a JSON string with the escapes RFC 8259 requires.
    package static func appendString(_ value: String, to bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendString(utf8: $0, to: &bytes) }
    }

    /// Appends UTF-8 text as a JSON string with the escapes RFC 8259 requires.
    package static func appendString(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most attributes need no escape: copy them whole.
        guard needsEscape(utf8) else {
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A member whose value is UTF-8 text, escaped as a JSON string.
    package mutating func member(_ name: String, utf8 value: UnsafeRawBufferPointer) {
        key(name)
        Self.appendString(utf8: value.assumingMemoryBound(to: UInt8.self), to: &bytes)
        needsComma = true
    }

    /// Whether any byte of `utf8` must be escaped in a JSON string: a quote, a backslash or a
    /// control character. Checks eight bytes at a time.
    package static func needsEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= utf8.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            // The high bit of a byte is set in each term when that byte is below 0x20, or is
            // a quote or a backslash; bytes of 0x80 and above are masked out by `~word`.
            let found = ((word &- ones &* 0x20) | (quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes) & ~word & highs
            if found != 0 { return true }
            index += 8
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }
}
