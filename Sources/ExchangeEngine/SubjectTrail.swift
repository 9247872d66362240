public import ExchangeModel

/// Where data about one subject went (the data tracker): the `published` entries naming the
/// subject, newest first, each with the departments it was routed to.
public struct SubjectTrail: Sendable {
    /// One event about the subject and its recipients.
    public struct Event: Sendable {
        /// The `published` entry's index in the audit log.
        public var index: UInt64
        /// The event's sequence in the log.
        public var sequence: UInt64
        /// When the exchange received it (RFC 3339).
        public var time: String
        /// The publishing department.
        public var provider: String
        /// The event's topic.
        public var topic: String
        /// The departments that received it.
        public var recipients: [Recipient]
    }

    /// One department an event was routed to.
    public struct Recipient: Sendable {
        /// The receiving department.
        public var department: String
        /// The agreement that routed the event there.
        public var agreement: String
        /// That agreement's version when the event was routed.
        public var agreementVersion: UInt64
        /// The purpose of that agreement as in force now; `nil` when it no longer is.
        public var purpose: String?
    }

    /// The subject.
    public var subject: String
    /// The events, newest first.
    public var events: [Event]
    /// Where the next (older) page starts: pass it as `before`; `nil` at the oldest.
    public var nextBefore: UInt64?
}
