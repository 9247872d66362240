extension JSONValue {
    /// The deepest nesting of arrays and objects ``parse(_:)`` accepts.
    public static let maximumDepth = 256

    /// Reads one JSON document (RFC 8259) from UTF-8 bytes.
    ///
    /// The parser is strict: it refuses trailing content, invalid UTF-8, raw control characters in
    /// strings, duplicate object keys and nesting deeper than ``maximumDepth``.
    /// - Parameter bytes: the document.
    /// - Returns: the value.
    /// - Throws: ``JSONParseError`` naming the offset of the first problem.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        if let result {
            return try result.get()
        }
        let copy = Array(bytes)
        let fallback = copy.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(buffer)
            return Result { () throws(JSONParseError) in try parser.parseDocument() }
        }
        return try fallback.get()
    }

    /// Reads one JSON document from text.
    /// - Parameter text: the document.
    /// - Returns: the value.
    /// - Throws: ``JSONParseError``.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

/// A recursive-descent JSON parser over a byte buffer.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position != bytes.count {
            throw error(.trailingContent, "unexpected content after the JSON value")
        }
        return value
    }

    func error(_ code: JSONParseError.Code, _ message: String) -> JSONParseError {
        JSONParseError(code: code, offset: position, message: message)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else {
            throw error(.unexpectedEnd, "unexpected end of input, expected a value")
        }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default:
            throw error(.unexpectedCharacter, "unexpected character '\(Self.show(bytes[position]))', expected a value")
        }
    }

    static func show(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else {
            throw error(.unexpectedEnd, "unexpected end of input in '\(literal)'")
        }
        let base = literal.utf8Start
        for index in 0..<count where bytes[position + index] != base[index] {
            position += index
            throw error(.unexpectedCharacter, "invalid literal, expected '\(literal)'")
        }
        position += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONValue.maximumDepth {
            throw error(.tooDeep, "nesting deeper than \(JSONValue.maximumDepth) levels")
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEnd, "unexpected end of input in an array")
            }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default:
                throw error(.unexpectedCharacter, "expected ',' or ']' in an array")
            }
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        position += 1
        var members: [JSONObject.Member] = []
        var seenKeys: Set<String> = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEnd, "unexpected end of input in an object")
            }
            guard bytes[position] == UInt8(ascii: "\"") else {
                throw error(.unexpectedCharacter, "expected a string key in an object")
            }
            let keyOffset = position
            let key = try parseString()
            // Small objects: a linear scan; large ones: a set, so that duplicate detection stays
            // linear in the size of the object.
            let isDuplicate: Bool
            if members.count < 16 {
                isDuplicate = members.contains { $0.key == key }
            } else {
                if seenKeys.isEmpty { seenKeys = Set(members.map(\.key)) }
                isDuplicate = !seenKeys.insert(key).inserted
            }
            if isDuplicate {
                throw JSONParseError(code: .duplicateKey, offset: keyOffset, message: "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEnd, "unexpected end of input in an object")
            }
            guard bytes[position] == UInt8(ascii: ":") else {
                throw error(.unexpectedCharacter, "expected ':' after an object key")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEnd, "unexpected end of input in an object")
            }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(JSONObject(members))
            default:
                throw error(.unexpectedCharacter, "expected ',' or '}' in an object")
            }
        }
    }

    /// The length of the JSON number starting at `start`, or 0 when none starts there.
    static func numberLength(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        var index = start
        let end = bytes.count
        func isDigit(_ i: Int) -> Bool { i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { return 0 }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return 0 }
            while isDigit(index) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { return 0 }
            while isDigit(index) { index += 1 }
        }
        return index - start
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let length = Self.numberLength(bytes, at: position)
        guard length > 0 else {
            throw error(.invalidNumber, "invalid number")
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[position..<position + length])
        let text = String(decoding: slice, as: UTF8.self)
        guard let value = Double(text) else {
            throw error(.invalidNumber, "invalid number")
        }
        position += length
        return JSONNumber(validatedText: text, value: value)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                guard let string = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(code: .invalidString, offset: start, message: "string is not valid UTF-8")
                }
                position += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 {
                throw error(.invalidString, "raw control character in a string")
            }
            position += 1
        }
        guard position < bytes.count else {
            throw error(.unexpectedEnd, "unexpected end of input in a string")
        }
        var buffer = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: buffer, as: UTF8.self) else {
                    throw JSONParseError(code: .invalidString, offset: start, message: "string is not valid UTF-8")
                }
                position += 1
                return string
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else {
                            throw error(.invalidString, "unpaired surrogate in a string escape")
                        }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw error(.invalidString, "unpaired surrogate in a string escape")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error(.invalidString, "unpaired surrogate in a string escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else {
                        throw error(.invalidString, "invalid unicode escape")
                    }
                    buffer.append(contentsOf: UTF8.encode(unicode)!)
                default:
                    position -= 1
                    throw error(.invalidString, "invalid escape '\\\(Self.show(escape))' in a string")
                }
            default:
                if byte < 0x20 {
                    throw error(.invalidString, "raw control character in a string")
                }
                buffer.append(byte)
                position += 1
            }
        }
        throw error(.unexpectedEnd, "unexpected end of input in a string")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard bytes.count - position >= 4 else {
            throw error(.unexpectedEnd, "unexpected end of input in a unicode escape")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw error(.invalidString, "invalid hex digit in a unicode escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
