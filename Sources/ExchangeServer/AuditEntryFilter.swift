import ExchangeModel
import Hummingbird

/// The filter of `GET /v1/audit/events`: which entries an auditor asked for.
///
/// - `type`: the entry's `kind`;
/// - `department`: the `actor`, a route's `consumer`, or a `department`, `consumer` or `owner` member;
/// - `agreement`: a route's `agreement` or an `agreement` member;
/// - `topic`: a topic pattern (`*`, `>`) matched against the `topic` member;
/// - `from`, `until`: RFC 3339 bounds on the entry's `time`, inclusive;
/// - `start`: the first entry index to look at (default 0).
struct AuditEntryFilter: Sendable {
    var start: UInt64 = 0
    var kind: String?
    var department: String?
    var agreement: String?
    var topic: TopicPattern?
    var from: UInt64?
    var until: UInt64?

    init() {}

    /// Reads the query of `request`.
    /// - Throws: a `http.bad_request` problem for a malformed parameter.
    init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        start = try AuditRoutes.unsigned(request, "start") ?? 0
        kind = parameters.get("type")
        department = parameters.get("department")
        agreement = parameters.get("agreement")
        if let text = parameters.get("topic") {
            guard let pattern = TopicPattern(text) else {
                throw ProblemError(.badRequest, detail: "topic \"\(text)\" is not a topic pattern")
            }
            topic = pattern
        }
        from = try ExchangeRoutes.time(request, "from")
        until = try ExchangeRoutes.time(request, "until")
    }

    /// Whether the canonical entry `bytes` passes the filter. An entry that does not parse
    /// passes only an empty filter.
    func matches(_ bytes: [UInt8]) -> Bool {
        guard kind != nil || department != nil || agreement != nil || topic != nil || from != nil || until != nil else {
            return true
        }
        guard let entry = try? JSONValue.parse(bytes) else { return false }
        if let kind, entry["kind"]?.stringValue != kind { return false }
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
}
