public import ExchangeStore

/// An error from the exchange engine, with a stable code and the kind of failure.
///
/// The error is a struct around a private code so that new codes can be added without breaking
/// callers. Compare ``code`` against the static members of ``ExchangeError/Code``; its
/// ``ExchangeError/Code/rawValue`` is the stable `area.reason` text answered in problem
/// documents and written in audit entries (docs/errors.md lists them all).
///
/// ```swift
/// do {
///     _ = try await exchange.publish([event], from: department)
/// } catch where error.code == .notTopicOwner {
///     // another department owns the topic
/// }
/// ```
public struct ExchangeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The broad kind of failure.
    public enum Kind: String, Hashable, Sendable {
        /// The request is malformed or violates a rule.
        case invalid
        /// The caller may not do this.
        case forbidden
        /// What the request names does not exist.
        case notFound
        /// The request conflicts with the current state.
        case conflict
        /// The exchange cannot take it now, or failed (the store is full, closed or broken).
        case unavailable
    }

    /// A stable, machine-readable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible, CaseIterable {
        fileprivate enum Base: String, Sendable, Hashable, CaseIterable {
            case publishEmpty = "publish.empty"
            case schemaViolation = "publish.schema_violation"
            case fieldTooLong = "publish.field_too_long"
            case idConflict = "publish.id_conflict"
            case unknownTopic = "access.unknown_topic"
            case notTopicOwner = "access.not_topic_owner"
            case sourceMismatch = "access.source_mismatch"
            case unknownDepartment = "access.unknown_department"
            case invalidTopic = "access.invalid_topic"
            case noAgreement = "access.no_agreement"
            case missingRole = "access.missing_role"
            case invalidSubscriptionName = "subscription.invalid_name"
            case invalidSubscriptionFilter = "subscription.invalid_filter"
            case invalidSubscriptionLimits = "subscription.invalid_limits"
            case subscriptionNotFound = "subscription.not_found"
            case subscriptionNameTaken = "subscription.name_taken"
            case subscriptionLimit = "subscription.limit_reached"
            case unknownCollection = "registry.unknown_collection"
            case registryEntryNotFound = "registry.not_found"
            case notEntitled = "registry.not_entitled"
            case badRegistryQuery = "registry.bad_query"
            case badRegistryCursor = "registry.bad_cursor"
            case bulkReadsBusy = "replay.busy"
            case readsLimited = "reads.rate_limited"
            case holdInvalid = "hold.invalid"
            case store = "exchange.store"
            case internalFailure = "server.internal"
        }

        fileprivate let base: Base

        /// A publish request holds no event.
        public static let publishEmpty = Code(base: .publishEmpty)
        /// An event's data does not satisfy its topic's JSON Schema.
        public static let schemaViolation = Code(base: .schemaViolation)
        /// A message id, subject, type or indexed registry value is longer than its byte limit.
        public static let fieldTooLong = Code(base: .fieldTooLong)
        /// The publisher already published an event with this message id and other content
        /// (data, topic, type or subject); ``ExchangeError/originalSequence`` names it.
        public static let idConflict = Code(base: .idConflict)
        /// The topic (or every topic a pattern could match) is not declared.
        public static let unknownTopic = Code(base: .unknownTopic)
        /// The publisher does not own the topic.
        public static let notTopicOwner = Code(base: .notTopicOwner)
        /// An event's source is not the authenticated publisher.
        public static let sourceMismatch = Code(base: .sourceMismatch)
        /// The department is not declared.
        public static let unknownDepartment = Code(base: .unknownDepartment)
        /// A topic or pattern is malformed.
        public static let invalidTopic = Code(base: .invalidTopic)
        /// No agreement in force lets the department receive what it asks for.
        public static let noAgreement = Code(base: .noAgreement)
        /// The department lacks the role the action needs.
        public static let missingRole = Code(base: .missingRole)
        /// A subscription name breaks the naming rule.
        public static let invalidSubscriptionName = Code(base: .invalidSubscriptionName)
        /// A subscription filter is not a topic pattern.
        public static let invalidSubscriptionFilter = Code(base: .invalidSubscriptionFilter)
        /// A subscription setting is out of range.
        public static let invalidSubscriptionLimits = Code(base: .invalidSubscriptionLimits)
        /// The owner has no subscription of that name.
        public static let subscriptionNotFound = Code(base: .subscriptionNotFound)
        /// Another department owns a subscription of that name.
        public static let subscriptionNameTaken = Code(base: .subscriptionNameTaken)
        /// The department holds as many subscriptions as it may (`delivery.max_subscriptions_per_department`).
        public static let subscriptionLimit = Code(base: .subscriptionLimit)
        /// No topic feeds a registry collection of that name.
        public static let unknownCollection = Code(base: .unknownCollection)
        /// The collection holds no entry of that key the caller may see.
        public static let registryEntryNotFound = Code(base: .registryEntryNotFound)
        /// No agreement in force gives the caller a topic feeding the collection.
        public static let notEntitled = Code(base: .notEntitled)
        /// A registry query parameter is unknown, repeated or malformed.
        public static let badRegistryQuery = Code(base: .badRegistryQuery)
        /// A registry cursor was not returned by the same query, or is malformed.
        public static let badRegistryCursor = Code(base: .badRegistryCursor)
        /// As many bulk reads (replays, the auditor's events and replay) as allowed are
        /// streaming; ``ExchangeError/retryAfter`` says when to try again.
        public static let bulkReadsBusy = Code(base: .bulkReadsBusy)
        /// The principal made more audited reads than `audit.read_limit` allows
        /// (``ReadRateLimit``); ``ExchangeError/retryAfter`` says when to try again.
        public static let readsLimited = Code(base: .readsLimited)
        /// A legal hold names nothing the configuration declares (a topic, a topic pattern
        /// matching none, a department or an agreement), or a value of the wrong form.
        public static let holdInvalid = Code(base: .holdInvalid)
        /// The store failed or refused; ``ExchangeError/storeError`` says how.
        public static let store = Code(base: .store)
        /// An unexpected failure inside the engine.
        public static let internalFailure = Code(base: .internalFailure)

        /// Every code.
        public static var allCases: [Code] { Base.allCases.map { Code(base: $0) } }

        /// The stable text of the code, e.g. `access.not_topic_owner`.
        public var rawValue: String { base.rawValue }
        /// The stable text of the code.
        public var description: String { base.rawValue }

        /// The broad kind of failure the code names.
        public var kind: Kind {
            switch base {
            case .publishEmpty, .schemaViolation, .fieldTooLong, .invalidSubscriptionName, .invalidSubscriptionFilter,
                .invalidSubscriptionLimits, .badRegistryQuery, .badRegistryCursor, .holdInvalid:
                .invalid
            case .notTopicOwner, .sourceMismatch, .unknownDepartment, .invalidTopic, .noAgreement, .missingRole, .notEntitled:
                .forbidden
            case .unknownTopic, .subscriptionNotFound, .unknownCollection, .registryEntryNotFound:
                .notFound
            case .subscriptionNameTaken, .subscriptionLimit, .idConflict:
                .conflict
            case .bulkReadsBusy, .readsLimited, .store, .internalFailure:
                .unavailable
            }
        }
    }

    /// The stable code.
    public let code: Code
    /// A sentence for the caller.
    public let message: String
    /// The store's error, when the code is ``Code/store``.
    public let storeError: StoreError?
    /// Whether the engine already wrote the refusal's audit entry, so that the layer answering
    /// it must not write another.
    public var isAudited: Bool
    /// How long the caller should wait before trying again, when the refusal is temporary
    /// (``Code/bulkReadsBusy``, ``Code/readsLimited``); answered as `Retry-After`.
    public var retryAfter: Duration?
    /// The sequence of the event a refused repeat conflicts with (``Code/idConflict``).
    public var originalSequence: UInt64?

    /// The broad kind of failure: the code's, or for a store error the store's.
    public var kind: Kind {
        guard let storeError else { return code.kind }
        return switch storeError.code {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalidRequest: .invalid
        default: .unavailable
        }
    }

    /// Creates an error.
    /// - Parameters:
    ///   - code: the stable code.
    ///   - message: a sentence for the caller; never secrets.
    ///   - isAudited: whether the refusal's audit entry was already written.
    public init(_ code: Code, _ message: String, isAudited: Bool = false) {
        self.code = code
        self.message = message
        self.storeError = nil
        self.isAudited = isAudited
    }

    /// An engine error carrying a store error (code ``Code/store``).
    /// - Parameter storeError: what the store reported.
    public init(_ storeError: StoreError) {
        self.code = .store
        self.message = storeError.message
        self.storeError = storeError
        self.isAudited = false
    }

    /// The code an audit entry records: the store's own code for a store error (e.g.
    /// `store.full`), otherwise the code's text.
    public var auditedCode: String { storeError?.code.rawValue ?? code.rawValue }

    public var description: String {
        if let storeError { return storeError.description }
        return "\(code): \(message)"
    }

    /// Errors are equal when their code, message and store error are (whether one was audited
    /// is not part of what it says).
    public static func == (lhs: ExchangeError, rhs: ExchangeError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.storeError == rhs.storeError
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
        hasher.combine(storeError)
    }

    static func subscriptionNotFound(_ name: String) -> ExchangeError {
        ExchangeError(.subscriptionNotFound, "there is no subscription named '\(name)'")
    }
}
