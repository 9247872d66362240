public import ExchangeModel

/// A legal hold: while it stands, retention removes nothing it covers.
///
/// A hold names one thing, by its ``Scope``: a topic (every event of it) or a topic pattern
/// (every event of every topic it matches, declared now or later), an agreement (every event
/// routed under it), a department (every event it published or was routed), or a subject
/// (every event with that CloudEvents `subject`, in any topic, compared byte for byte). Holds
/// are kept in the store's `meta` database, so they survive restarts, and are few: at most
/// ``maxHolds``.
public struct LegalHold: Hashable, Sendable {
    /// What a hold covers.
    public enum Scope: String, Hashable, Sendable, CaseIterable {
        /// Every event of the topic named, or of every topic the ``TopicPattern`` matches
        /// (`case.outcome.>`).
        case topic
        /// Every event routed under the agreement named (its id).
        case agreement
        /// Every event the department named published, or was routed as a consumer.
        case department
        /// Every event whose CloudEvents `subject` is the value, in any topic: the same bytes
        /// (no Unicode normalisation, case counts).
        case subject

        /// The byte that stands for the scope in a hold's key.
        var byte: UInt8 {
            switch self {
            case .topic: 1
            case .agreement: 2
            case .department: 3
            case .subject: 4
            }
        }

        init?(byte: UInt8) {
            guard let scope = Self.allCases.first(where: { $0.byte == byte }) else { return nil }
            self = scope
        }
    }

    /// The most holds the store keeps; setting one more is refused.
    public static let maxHolds = 10_000
    /// The longest value (topic, agreement id, department id or subject) in UTF-8 bytes: it
    /// becomes part of an LMDB key.
    public static let maxValueBytes = 256
    /// The longest reason in UTF-8 bytes.
    public static let maxReasonBytes = 256
    /// The longest name of who set a hold, in UTF-8 bytes.
    public static let maxActorBytes = 256

    /// The hold's number, given by the store when it was set (from 1, never reused).
    public var id: UInt64
    /// What kind of thing it covers.
    public var scope: Scope
    /// The thing it covers: a topic name, an agreement id, a department id or a subject.
    public var value: String
    /// Why it was set (a case number, an order), as the admin gave it.
    public var reason: String
    /// Who set it (a token's name).
    public var setBy: String
    /// When it was set, in nanoseconds since the Unix epoch.
    public var setAt: UInt64

    /// Creates a hold.
    public init(id: UInt64, scope: Scope, value: String, reason: String, setBy: String, setAt: UInt64) {
        self.id = id
        self.scope = scope
        self.value = value
        self.reason = reason
        self.setBy = setBy
        self.setAt = setAt
    }

    /// The topic pattern a `topic` hold covers (one that matches only the topic named when the
    /// value holds no wildcard); `nil` for the other scopes, or a value that is not a pattern.
    public var topicPattern: TopicPattern? {
        scope == .topic ? TopicPattern(value) : nil
    }

    /// Why `value`, `reason` and `setBy` cannot make a hold, or `nil` when they can: each must
    /// be within its byte limit, and the value not empty.
    public static func problem(value: String, reason: String, setBy: String) -> String? {
        if value.isEmpty { return "the value must not be empty" }
        if value.utf8.count > maxValueBytes { return "the value is \(value.utf8.count) bytes; at most \(maxValueBytes)" }
        if reason.utf8.count > maxReasonBytes { return "the reason is \(reason.utf8.count) bytes; at most \(maxReasonBytes)" }
        if setBy.utf8.count > maxActorBytes { return "the actor is \(setBy.utf8.count) bytes; at most \(maxActorBytes)" }
        return nil
    }

    /// Why a hold of `scope` on `value` cannot be set, or `nil` when it can: the limits of
    /// ``problem(value:reason:setBy:)``, and the value's form: a `topic` hold names a topic or
    /// a topic pattern (``TopicPattern``), a `department` hold a department id
    /// (``DepartmentID``). Whether the value names something declared is the exchange's check,
    /// which knows the configuration.
    public static func problem(scope: Scope, value: String, reason: String, setBy: String) -> String? {
        if let problem = problem(value: value, reason: reason, setBy: setBy) { return problem }
        switch scope {
        case .topic:
            if let syntax = TopicPattern.syntaxError(value) {
                return "'\(AuditEvent.bounded(value))' is not a topic name or pattern: \(syntax)"
            }
        case .department:
            if !DepartmentID.isValid(value) {
                return "'\(AuditEvent.bounded(value))' is not a department id: at most 64 ASCII letters, digits, '-', '_' and '.'"
            }
        case .agreement, .subject:
            break
        }
        return nil
    }
}

/// What setting a hold did.
public enum LegalHoldOutcome: Hashable, Sendable {
    /// The hold was set (and its `legal_hold` audit entry written in the same transaction).
    case set(LegalHold)
    /// A hold of the same scope and value already stood: nothing was written.
    case existing(LegalHold)
    /// The store already keeps ``LegalHold/maxHolds`` holds: nothing was written.
    case limitReached
}
