public import ExchangeModel

/// Which audit entries an auditor asked for (`GET /v1/audit/events`, `/v1/audit/replay`).
///
/// - `kind`: the entry's `kind`;
/// - `department`: the `actor`, a route's `consumer`, or a `department`, `consumer` or `owner` member;
/// - `agreement`: a route's `agreement` or an `agreement` member;
/// - `topic`: a topic pattern (`*`, `>`) matched against the `topic` member;
/// - `from`, `until`: bounds on the entry's `time` in nanoseconds since the epoch, inclusive;
/// - `start`: the first entry index to look at (default 0).
public struct AuditEntryFilter: Sendable {
    /// The first entry index to look at.
    public var start: UInt64 = 0
    /// The entry's `kind`.
    public var kind: String?
    /// A department named by the entry (actor, route consumer, department, consumer or owner).
    public var department: String?
    /// An agreement named by the entry (a route's or its own `agreement`).
    public var agreement: String?
    /// A pattern the entry's `topic` matches.
    public var topic: TopicPattern?
    /// The earliest `time`, nanoseconds since the epoch.
    public var from: UInt64?
    /// The latest `time`, nanoseconds since the epoch.
    public var until: UInt64?
    /// Only entries about this subject (the event's `subject`, e.g. a licence number).
    public var subject: String?

    /// A filter that passes every entry.
    public init() {}

    /// Whether the filter passes every entry (from `start` on).
    public var isEmpty: Bool {
        kind == nil && department == nil && agreement == nil && topic == nil && from == nil && until == nil && subject == nil
    }

    /// Whether the parsed entry passes the filter.
    /// - Parameter entry: the entry, parsed once by the caller.
    public func matches(_ entry: JSONValue) -> Bool {
        if let kind, entry["kind"]?.stringValue != kind { return false }
        if let subject, entry["subject"]?.stringValue != subject { return false }
        let routes: [JSONValue]
        if case .array(let list)? = entry["routes"] { routes = list } else { routes = [] }
        if let department {
            let named = ["actor", "department", "consumer", "owner"].contains { entry[$0]?.stringValue == department }
            guard named || routes.contains(where: { $0["consumer"]?.stringValue == department }) else { return false }
        }
        if let agreement {
            guard entry["agreement"]?.stringValue == agreement || routes.contains(where: { $0["agreement"]?.stringValue == agreement })
            else { return false }
        }
        if let topic {
            guard let name = entry["topic"]?.stringValue, topic.matches(name: name) else { return false }
        }
        if from != nil || until != nil {
            guard let text = entry["time"]?.stringValue, let time = RFC3339.parse(text) else { return false }
            if let from, time < from { return false }
            if let until, time > until { return false }
        }
        return true
    }

    /// Whether the canonical entry `bytes` passes the filter, parsing it only when the filter
    /// looks inside. An entry that does not parse passes only an empty filter.
    public func matches(_ bytes: [UInt8]) -> Bool {
        guard !isEmpty else { return true }
        guard let entry = try? JSONValue.parse(bytes) else { return false }
        return matches(entry)
    }
}
