/// An error from the exchange engine, with a stable code and the kind of failure, so that the
/// HTTP layer can map it to a status and problem type without knowing every case.
public struct ExchangeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The broad kind of failure; the HTTP layer maps kinds to status codes.
    public enum Kind: String, Hashable, Sendable {
        /// The request is malformed or violates a rule (400/422).
        case invalid
        /// The caller may not do this (403).
        case forbidden
        /// What the request names does not exist (404).
        case notFound
        /// The request conflicts with the current state (409).
        case conflict
        /// The exchange cannot take it now, e.g. the store is full (503/507).
        case unavailable
    }

    /// The stable code, e.g. `access.not-topic-owner`, `subscription.not-found`.
    public let code: String
    /// The broad kind of failure.
    public let kind: Kind
    /// A sentence for the caller.
    public let message: String
    /// Whether the engine already wrote the refusal's audit entry, so that the layer answering
    /// it must not write another.
    public var isAudited: Bool

    /// Creates an error.
    public init(code: String, kind: Kind, message: String, isAudited: Bool = false) {
        self.code = code
        self.kind = kind
        self.message = message
        self.isAudited = isAudited
    }

    public var description: String { "\(code): \(message)" }

    /// Errors are equal when their code, kind and message are (whether one was audited is not
    /// part of what it says).
    public static func == (lhs: ExchangeError, rhs: ExchangeError) -> Bool {
        lhs.code == rhs.code && lhs.kind == rhs.kind && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(kind)
        hasher.combine(message)
    }

    static func subscriptionNotFound(_ name: String) -> ExchangeError {
        ExchangeError(code: "subscription.not-found", kind: .notFound, message: "there is no subscription named '\(name)'")
    }
}
