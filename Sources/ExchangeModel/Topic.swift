/// A topic name: dot-separated tokens such as `licence.food.issued`.
///
/// Each token is one or more ASCII letters, digits, `-` or `_`; a topic has at most 16 tokens and
/// 255 characters. Topic names hold no wildcards; see ``TopicPattern``.
public struct Topic: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The name, e.g. `licence.food.issued`.
    public let rawValue: String

    /// Creates a topic after checking its syntax.
    /// - Parameter rawValue: the name.
    /// - Returns: `nil` when the name is not a valid topic name.
    public init?(_ rawValue: String) {
        guard Self.validationError(rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// The tokens of the name.
    public var tokens: [Substring] {
        rawValue.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// Why `text` is not a valid topic name, or `nil` when it is.
    public static func validationError(_ text: String) -> String? {
        TopicPattern.syntaxError(text, allowWildcards: false)
    }

    /// The stable code or name as text.
    public var description: String { rawValue }

    /// Orders topics by name.
    public static func < (lhs: Topic, rhs: Topic) -> Bool { lhs.rawValue < rhs.rawValue }
}
