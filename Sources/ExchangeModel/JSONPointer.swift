/// A JSON Pointer (RFC 6901) such as `/holder/name` or `/items/0`.
///
/// The empty pointer `""` refers to the whole document. In a token, `~1` stands for `/` and `~0`
/// for `~`. A token that is an array index is written in decimal without leading zeros; `-` (the
/// element after the last) never refers to an existing value.
///
/// ```swift
/// let pointer = try JSONPointer("/holder/name")
/// pointer.tokens    // ["holder", "name"]
/// ```
public struct JSONPointer: Hashable, Sendable, CustomStringConvertible {
    /// The reference tokens, unescaped.
    public let tokens: [String]

    /// Parses a pointer.
    /// - Parameter text: the pointer's text: empty, or starting with `/`.
    /// - Throws: ``JSONPointerError`` when the text does not start with `/` or holds a `~` not
    ///   followed by `0` or `1`.
    public init(_ text: String) throws(JSONPointerError) {
        if text.isEmpty {
            self.tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw JSONPointerError(pointer: text, message: "a JSON Pointer must be empty or start with '/'")
        }
        var tokens: [String] = []
        for raw in text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            var token: [UInt8] = []
            token.reserveCapacity(raw.count)
            var iterator = raw.makeIterator()
            while let byte = iterator.next() {
                guard byte == UInt8(ascii: "~") else {
                    token.append(byte)
                    continue
                }
                switch iterator.next() {
                case UInt8(ascii: "0"): token.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): token.append(UInt8(ascii: "/"))
                default:
                    throw JSONPointerError(
                        pointer: text, message: "'~' must be followed by '0' or '1' in a JSON Pointer")
                }
            }
            tokens.append(String(decoding: token, as: UTF8.self))
        }
        self.tokens = tokens
    }

    /// Creates a pointer from unescaped reference tokens.
    /// - Parameter tokens: the tokens, e.g. `["holder", "name"]`.
    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// The pointer's text, with `~` and `/` escaped in its tokens.
    public var description: String {
        tokens.map { "/" + Self.escape($0) }.joined()
    }

    /// Escapes a reference token: `~` becomes `~0`, `/` becomes `~1`.
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
            return token
        }
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// The array index a token names, or `nil` when it is not a decimal index without leading
    /// zeros (`0`, `7`, `12`, but not `01`, `-1` or `-`).
    public static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, utf8.count <= 18 else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        var value = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The value this pointer refers to in `document`, or `nil` when it refers to nothing.
    /// - Parameter document: the document to evaluate the pointer in.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }
}
