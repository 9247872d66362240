/// A forward-only scanner over UTF-8 JSON text that reads strings and skips values without
/// building a document: enough to read CloudEvents attributes and keep `data` as raw bytes.
///
/// Errors are thrown as `JSONScanner.Failure` with the byte offset; callers turn them into
/// `cloudevents.malformed_json` problems.
package struct JSONScanner: ~Copyable {
    package struct Failure: Error {
        package var offset: Int
        package var message: String
    }

    /// The kind of the next value.
    enum Kind {
        case string, number, object, array, bool, null
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    /// Deepest nesting of arrays and objects accepted inside skipped values.
    package let maxDepth = 128

    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    package var isAtEnd: Bool { index >= bytes.count }

    func fail(_ message: String) -> Failure {
        Failure(offset: index, message: message)
    }

    package mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard index < bytes.count else { throw fail("unexpected end of input") }
        return bytes[index]
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try peek() == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    /// Consumes `byte` if it is next; otherwise leaves the position alone.
    mutating func consume(_ byte: UInt8) throws(Failure) -> Bool {
        if try peek() == byte {
            index += 1
            return true
        }
        return false
    }

    mutating func kind() throws(Failure) -> Kind {
        switch try peek() {
        case UInt8(ascii: "\""): .string
        case UInt8(ascii: "{"): .object
        case UInt8(ascii: "["): .array
        case UInt8(ascii: "t"), UInt8(ascii: "f"): .bool
        case UInt8(ascii: "n"): .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        default: throw fail("unexpected character")
        }
    }

    /// Reads a string, decoding escapes.
    package mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                try validateUTF8(start..<index)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in string") }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
                return text
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw fail("invalid escape")
                }
            default:
                if byte < 0x20 { throw fail("control character in string") }
                out.append(byte)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("bad hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func validateUTF8(_ range: Range<Int>) throws(Failure) {
        // ASCII is the common case; only check when a byte is >= 0x80.
        var index = range.lowerBound
        while index < range.upperBound, bytes[index] < 0x80 { index += 1 }
        if index == range.upperBound { return }
        guard String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) != nil else {
            throw Failure(offset: range.lowerBound, message: "invalid UTF-8 in string")
        }
    }

    /// Skips one value, checking its syntax, and returns the byte range it occupied.
    package mutating func skipValue() throws(Failure) -> Range<Int> {
        skipWhitespace()
        let start = index
        try skipValue(depth: 0)
        return start..<index
    }

    private mutating func skipValue(depth: Int) throws(Failure) {
        switch try kind() {
        case .string:
            try skipString()
        case .number:
            try skipNumber()
        case .bool:
            if !literal("true") && !literal("false") { throw fail("invalid literal") }
        case .null:
            if !literal("null") { throw fail("invalid literal") }
        case .object:
            guard depth < maxDepth else { throw fail("nesting too deep") }
            index += 1
            if try consume(UInt8(ascii: "}")) { return }
            repeat {
                guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                try skipString()
                try expect(UInt8(ascii: ":"))
                try skipValue(depth: depth + 1)
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        case .array:
            guard depth < maxDepth else { throw fail("nesting too deep") }
            index += 1
            if try consume(UInt8(ascii: "]")) { return }
            repeat {
                try skipValue(depth: depth + 1)
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        }
    }

    private mutating func skipString() throws(Failure) {
        let start = index
        index += 1
        var sawHigh = false
        while index < bytes.count {
            index = Self.skipPlainBytes(bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                if sawHigh { try validateUTF8(start + 1..<index - 1) }
                return
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw fail("unterminated escape") }
                let escape = bytes[index + 1]
                switch escape {
                case UInt8(ascii: "u"):
                    index += 2
                    // Surrogates must pair, as the reader and `JSONValue.parse` require: data
                    // skipped here is parsed later (patterns, projections, schemas).
                    let scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        index += 2
                        guard (0xDC00..<0xE000).contains(try hex4()) else { throw fail("unpaired surrogate") }
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    continue
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                default:
                    throw fail("invalid escape")
                }
            case 0x00..<0x20:
                throw fail("control character in string")
            default:
                if byte >= 0x80 { sawHigh = true }
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    /// The index of the first byte at or after `start`, in steps of eight, that may need a
    /// closer look inside a string: a quote, a backslash, a control character or a non-ASCII
    /// byte. Plain ASCII text, the bulk of most payloads, is passed over a word at a time.
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        guard let base = bytes.baseAddress else { return index }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            // A byte is special if its high bit is set, if it is below 0x20, or if it equals
            // '"' or '\\'; each test sets the high bit of the matching byte (SWAR zero-byte trick).
            let control = (word &- ones &* 0x20) & ~word
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let quote = (quotes &- ones) & ~quotes
            let backslash = (backslashes &- ones) & ~backslashes
            if (word | control | quote | backslash) & highs != 0 { return index }
            index += 8
        }
        return index
    }

    private mutating func skipNumber() throws(Failure) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw fail("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw fail("invalid number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("invalid number") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("invalid number") }
        }
    }

    private mutating func digits() -> Int {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index - start
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }
}
