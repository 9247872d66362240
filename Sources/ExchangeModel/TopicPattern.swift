/// A topic pattern in the style of NATS subjects: `*` stands for exactly one token, `>` (last
/// token only) for one or more remaining tokens.
///
/// `licence.*.issued` matches `licence.food.issued` but not `licence.issued`;
/// `licence.>` matches `licence.food` and `licence.food.issued` but not `licence`.
///
/// ```swift
/// let pattern = TopicPattern("licence.*.issued")!
/// pattern.matches(Topic("licence.food.issued")!)    // true
/// ```
public struct TopicPattern: Hashable, Sendable, CustomStringConvertible {
    /// One token of a pattern.
    public enum Token: Hashable, Sendable {
        /// A token that must be equal.
        case literal(String)
        /// `*`: any one token.
        case any
        /// `>`: one or more remaining tokens.
        case rest
    }

    /// The pattern's text.
    public let rawValue: String
    /// The pattern's tokens.
    public let tokens: [Token]

    /// Creates a pattern after checking its syntax.
    /// - Parameter rawValue: the pattern, e.g. `licence.*.issued`.
    /// - Returns: `nil` when the text is not a valid pattern; ``syntaxError(_:)`` says why.
    public init?(_ rawValue: String) {
        guard Self.syntaxError(rawValue) == nil else { return nil }
        self.rawValue = rawValue
        self.tokens = rawValue.split(separator: ".", omittingEmptySubsequences: false).map { token in
            switch token {
            case "*": .any
            case ">": .rest
            default: .literal(String(token))
            }
        }
    }

    /// Creates the pattern that matches exactly one topic.
    /// - Parameter topic: the topic.
    public init(exactly topic: Topic) {
        self.rawValue = topic.rawValue
        self.tokens = topic.tokens.map { .literal(String($0)) }
    }

    /// Whether the pattern holds no wildcard.
    public var isLiteral: Bool {
        tokens.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Whether the pattern matches `topic`.
    public func matches(_ topic: Topic) -> Bool {
        matches(name: topic.rawValue)
    }

    /// Whether the pattern matches the topic named `name`.
    public func matches(name: String) -> Bool {
        let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        var index = 0
        for token in tokens {
            switch token {
            case .rest:
                return index < parts.count
            case .any:
                guard index < parts.count, !parts[index].isEmpty else { return false }
            case .literal(let literal):
                guard index < parts.count, parts[index].elementsEqual(literal.utf8) else { return false }
            }
            index += 1
        }
        return index == parts.count
    }

    /// Whether the pattern matches a topic given as its tokens (see ``Topic/tokens``); faster
    /// than ``matches(_:)`` when one topic is tested against many patterns.
    public func matches(tokens parts: [Substring]) -> Bool {
        var index = 0
        for token in tokens {
            switch token {
            case .rest:
                return index < parts.count
            case .any:
                guard index < parts.count, !parts[index].isEmpty else { return false }
            case .literal(let literal):
                guard index < parts.count, parts[index] == literal else { return false }
            }
            index += 1
        }
        return index == parts.count
    }

    /// Whether every topic this pattern matches is also matched by `other`.
    public func isCovered(by other: TopicPattern) -> Bool {
        var index = 0
        for token in other.tokens {
            if token == .rest {
                return index < tokens.count
            }
            guard index < tokens.count else { return false }
            switch (token, tokens[index]) {
            case (.any, .literal), (.any, .any): break
            case (.literal(let a), .literal(let b)) where a == b: break
            default: return false
            }
            index += 1
        }
        return index == tokens.count
    }

    /// How specific the pattern is, for ordering: patterns with more literal tokens rank higher,
    /// then patterns without `>`, then patterns with fewer `*`. Higher is more specific.
    public var specificity: Specificity {
        var literals = 0
        var wildcards = 0
        var hasRest = false
        for token in tokens {
            switch token {
            case .literal: literals += 1
            case .any: wildcards += 1
            case .rest: hasRest = true
            }
        }
        return Specificity(literalTokens: literals, endsOpen: hasRest, singleWildcards: wildcards)
    }

    /// The rank of a pattern's specificity; ``Comparable`` orders less specific first.
    public struct Specificity: Comparable, Hashable, Sendable {
        /// Tokens that must be equal.
        public let literalTokens: Int
        /// Whether the pattern ends in `>`.
        public let endsOpen: Bool
        /// `*` tokens.
        public let singleWildcards: Int

        /// Orders less specific before more specific.
        public static func < (lhs: Specificity, rhs: Specificity) -> Bool {
            if lhs.literalTokens != rhs.literalTokens { return lhs.literalTokens < rhs.literalTokens }
            if lhs.endsOpen != rhs.endsOpen { return lhs.endsOpen }
            return lhs.singleWildcards > rhs.singleWildcards
        }
    }

    /// Why `text` is not a valid pattern, or `nil` when it is.
    public static func syntaxError(_ text: String) -> String? {
        syntaxError(text, allowWildcards: true)
    }

    static func syntaxError(_ text: String, allowWildcards: Bool) -> String? {
        let what = allowWildcards ? "topic pattern" : "topic name"
        guard !text.isEmpty else { return "a \(what) must not be empty" }
        guard text.utf8.count <= 255 else { return "a \(what) must be at most 255 characters" }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 16 else { return "a \(what) must have at most 16 tokens" }
        for (index, part) in parts.enumerated() {
            if part.isEmpty { return "a \(what) must not have an empty token (check for '..' or a dot at either end)" }
            if part == "*" || part == ">" {
                guard allowWildcards else { return "a topic name must not hold the wildcard '\(part)'" }
                if part == ">" && index != parts.count - 1 { return "'>' may only be the last token of a pattern" }
                continue
            }
            for byte in part.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    continue
                case UInt8(ascii: "*"), UInt8(ascii: ">"):
                    return "a wildcard must be a whole token, not part of '\(part)'"
                default:
                    return "token '\(part)' may hold only ASCII letters, digits, '-' and '_'"
                }
            }
        }
        return nil
    }

    /// The stable code or name as text.
    public var description: String { rawValue }
}
