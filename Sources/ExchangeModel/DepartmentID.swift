/// The identifier of a department taking part in the exchange, such as `market-regulation`.
///
/// Department identifiers name providers and consumers in agreements, own topics, and appear in
/// every audit entry. They are short ASCII names: letters, digits, `-`, `_` and `.`, at most 64
/// characters.
public struct DepartmentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The identifier's text.
    public let rawValue: String

    /// Creates an identifier after checking its syntax.
    /// - Parameter rawValue: the identifier, e.g. `"tax-bureau"`.
    /// - Returns: `nil` when the text is empty, longer than 64 characters, or holds a character
    ///   other than ASCII letters, digits, `-`, `_` and `.`.
    public init?(_ rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Creates an identifier without checking it; for values read back from trusted storage.
    /// - Parameter rawValue: an identifier that was validated when it was first stored.
    public init(trusted rawValue: String) {
        self.rawValue = rawValue
    }

    /// Whether `text` is a syntactically valid department identifier.
    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."):
                true
            default:
                false
            }
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: DepartmentID, rhs: DepartmentID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
