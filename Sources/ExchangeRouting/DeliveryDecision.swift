/// What to do with a queued event when it is about to be delivered to a consumer.
public enum DeliveryDecision: Hashable, Sendable {
    /// Deliver, with the data the consumer may see.
    case deliver(Delivery)
    /// Do not deliver; the reason is audited.
    case withhold(WithholdReason)

    /// The delivery, when the decision is to deliver.
    public var delivery: Delivery? {
        if case .deliver(let delivery) = self { return delivery }
        return nil
    }

    /// The reason, when the decision is to withhold.
    public var withholdReason: WithholdReason? {
        if case .withhold(let reason) = self { return reason }
        return nil
    }
}

/// An event cleared for delivery under the current terms of its agreement.
public struct Delivery: Hashable, Sendable {
    /// The route, with the agreement version in force now (it may be newer than at routing).
    public let route: Route
    /// The data the consumer may see: the original bytes when the agreement shares all fields,
    /// else the projection as compact JSON.
    public let data: [UInt8]
    /// Whether ``data`` is a projection rather than the original bytes.
    public let isProjected: Bool

    /// Creates a delivery.
    /// - Parameters:
    ///   - route: the route under current terms.
    ///   - data: the visible data.
    ///   - isProjected: whether the data was projected.
    public init(route: Route, data: [UInt8], isProjected: Bool) {
        self.route = route
        self.data = data
        self.isProjected = isProjected
    }
}

/// Why a queued event is withheld from its consumer.
public struct WithholdReason: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of reason, with a stable string code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable code, e.g. `withheld.revoked`.
        public let rawValue: String

        /// The agreement is no longer in the agreement set.
        public static let unknownAgreement = Code(rawValue: "withheld.unknown-agreement")
        /// The agreement is suspended.
        public static let suspended = Code(rawValue: "withheld.suspended")
        /// The agreement is revoked.
        public static let revoked = Code(rawValue: "withheld.revoked")
        /// The agreement's window has not started.
        public static let notYetValid = Code(rawValue: "withheld.not-yet-valid")
        /// The agreement's window has ended.
        public static let expired = Code(rawValue: "withheld.expired")
        /// The consumer is no longer a consumer of the agreement.
        public static let consumerRemoved = Code(rawValue: "withheld.consumer-removed")
        /// The agreement no longer covers the event's topic or provider.
        public static let topicNotCovered = Code(rawValue: "withheld.topic-not-covered")
        /// The event no longer meets the agreement's content pattern.
        public static let noLongerMatches = Code(rawValue: "withheld.no-longer-matches")
        /// The agreement limits fields but the data is not JSON, so it cannot be projected.
        public static let dataNotJSON = Code(rawValue: "withheld.data-not-json")

        /// The stable code or name as text.
        public var description: String { rawValue }
    }

    /// The kind of reason.
    public let code: Code
    /// The reason for people.
    public let message: String

    /// Creates a reason.
    /// - Parameters:
    ///   - code: the kind of reason.
    ///   - message: the reason for people.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The text form, for logs and messages.
    public var description: String { "\(message) [\(code)]" }
}
