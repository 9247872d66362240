/// Why bytes could not be read as JSON.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, with a stable string code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable code, e.g. `json.unexpected-character`.
        public let rawValue: String

        /// A byte that cannot start or continue a value here.
        public static let unexpectedCharacter = Code(rawValue: "json.unexpected-character")
        /// The input ended inside a value.
        public static let unexpectedEnd = Code(rawValue: "json.unexpected-end")
        /// A string holds a bad escape, a raw control character or invalid UTF-8.
        public static let invalidString = Code(rawValue: "json.invalid-string")
        /// A number does not follow the JSON grammar.
        public static let invalidNumber = Code(rawValue: "json.invalid-number")
        /// An object names the same key twice.
        public static let duplicateKey = Code(rawValue: "json.duplicate-key")
        /// Arrays and objects are nested deeper than the parser allows.
        public static let tooDeep = Code(rawValue: "json.too-deep")
        /// Something other than white space follows the value.
        public static let trailingContent = Code(rawValue: "json.trailing-content")

        /// The stable code or name as text.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The byte offset at which the failure was found.
    public let offset: Int
    /// What is wrong, for people.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: the kind of failure.
    ///   - offset: the byte offset of the failure.
    ///   - message: what is wrong.
    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// The text form, for logs and messages.
    public var description: String { "\(message) at byte \(offset) [\(code)]" }
}
