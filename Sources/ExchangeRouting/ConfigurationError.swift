/// A problem found in configuration: a department, topic or agreement file, or an agreement
/// given in code.
///
/// Each error names where the problem is (file, line and column when known, and the key path
/// such as `topics[1]` or `match.data.status`), a stable code for machines, and a message for
/// people. ``description`` prints all of it on one line:
///
/// ```
/// Config/agreements/msa-tax.yaml:9:5: topics[1]: topic 'case.outcome.closed' is owned by 'public-security', not by provider 'market-regulation' [config.topic-not-owned]
/// ```
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem, with a stable string code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable code, e.g. `config.missing-key`.
        public let rawValue: String

        /// A file could not be read.
        public static let unreadable = Code(rawValue: "config.unreadable")
        /// A file is not well-formed YAML.
        public static let yamlSyntax = Code(rawValue: "config.yaml-syntax")
        /// A required key is missing.
        public static let missingKey = Code(rawValue: "config.missing-key")
        /// A key that is not part of the format; usually a misspelling.
        public static let unknownKey = Code(rawValue: "config.unknown-key")
        /// A value has the wrong YAML type (e.g. a list where text is expected).
        public static let wrongType = Code(rawValue: "config.wrong-type")
        /// A value has the right type but is not acceptable.
        public static let invalidValue = Code(rawValue: "config.invalid-value")
        /// Two entries claim the same identity (department id, topic, agreement id, certificate).
        public static let duplicate = Code(rawValue: "config.duplicate")
        /// A department id that is not in `departments.yaml`.
        public static let unknownDepartment = Code(rawValue: "config.unknown-department")
        /// A topic pattern names a topic the provider does not own.
        public static let topicNotOwned = Code(rawValue: "config.topic-not-owned")
        /// A topic pattern matches no topic the provider owns.
        public static let patternMatchesNothing = Code(rawValue: "config.pattern-matches-nothing")
        /// A content pattern (`match`) is not valid.
        public static let invalidPattern = Code(rawValue: "config.invalid-pattern")
        /// A JSON Pointer is malformed.
        public static let malformedPointer = Code(rawValue: "config.malformed-pointer")
        /// An agreement changed without a higher version number.
        public static let versionNotIncreased = Code(rawValue: "config.version-not-increased")
        /// An agreement's topic pattern covers a topic the catalogue marks not shared (不予共享).
        public static let topicNotShared = Code(rawValue: "config.topic-not-shared")

        /// The stable code or name as text.
        public var description: String { rawValue }
    }

    /// The kind of problem.
    public let code: Code
    /// The file, as given to the loader; `nil` for values built in code.
    public let file: String?
    /// The 1-based line in `file`, when known.
    public let line: Int?
    /// The 1-based column in `file`, when known.
    public let column: Int?
    /// The key path of the offending value, e.g. `consumers[0]` or `match.data.status`.
    public let key: String?
    /// What is wrong.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: the kind of problem.
    ///   - file: the file, if any.
    ///   - line: the 1-based line, if known.
    ///   - column: the 1-based column, if known.
    ///   - key: the key path, if any.
    ///   - message: what is wrong.
    public init(
        _ code: Code, file: String? = nil, line: Int? = nil, column: Int? = nil, key: String? = nil,
        message: String
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// One line: `file:line:column: key: message [code]`, leaving out what is unknown.
    public var description: String {
        var text = ""
        if let file {
            text += file
            if let line {
                text += ":\(line)"
                if let column { text += ":\(column)" }
            }
            text += ": "
        }
        if let key, !key.isEmpty { text += "\(key): " }
        return text + message + " [\(code)]"
    }
}
