public import ExchangeModel

/// One routing decision: a consumer receives an event under an agreement.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    /// The receiving department.
    public let consumer: DepartmentID
    /// The agreement the event is routed under.
    public let agreementID: String
    /// The version of the agreement's terms at routing time.
    public let agreementVersion: Int

    /// Creates a route.
    /// - Parameters:
    ///   - consumer: the receiving department.
    ///   - agreementID: the agreement's id.
    ///   - agreementVersion: the agreement's version.
    public init(consumer: DepartmentID, agreementID: String, agreementVersion: Int) {
        self.consumer = consumer
        self.agreementID = agreementID
        self.agreementVersion = agreementVersion
    }

    /// The text form, for logs and messages.
    public var description: String { "\(consumer) via \(agreementID) v\(agreementVersion)" }
}
