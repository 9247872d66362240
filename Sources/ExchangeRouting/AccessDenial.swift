/// Why an action was refused: a stable code and a message, for the audit log and for
/// problem+json answers.
public struct AccessDenial: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal, with a stable string code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable code, e.g. `access.not_topic_owner`.
        public let rawValue: String

        /// The department is not in the configuration.
        public static let unknownDepartment = Code(rawValue: "access.unknown_department")
        /// The topic is not in the configuration.
        public static let unknownTopic = Code(rawValue: "access.unknown_topic")
        /// The publisher does not own the topic.
        public static let notTopicOwner = Code(rawValue: "access.not_topic_owner")
        /// The envelope's source is not the authenticated publisher.
        public static let sourceMismatch = Code(rawValue: "access.source_mismatch")
        /// The envelope's topic is not the topic published to.
        public static let invalidTopic = Code(rawValue: "access.invalid_topic")
        /// No agreement in force lets the department receive the topics.
        public static let noAgreement = Code(rawValue: "access.no_agreement")
        /// The department lacks the role the action needs.
        public static let missingRole = Code(rawValue: "access.missing_role")

        /// The stable code or name as text.
        public var description: String { rawValue }
    }

    /// The kind of refusal.
    public let code: Code
    /// What was refused and why, for people.
    public let message: String

    /// Creates a refusal.
    /// - Parameters:
    ///   - code: the kind of refusal.
    ///   - message: what was refused and why.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The text form, for logs and messages.
    public var description: String { "\(message) [\(code)]" }
}
