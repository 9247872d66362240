import ExchangeEngine
import ExchangeModel
import ExchangeWire
import Hummingbird

extension AuditEntryFilter {
    /// Reads the query of `request`: `type`, `department`, `agreement`, `topic`, `subject` (1 to
    /// 256 characters), `from`, `until` (RFC 3339; `from` not after `until`) and `start`.
    /// - Throws: a `http.bad_request` problem for a malformed parameter or an inverted time range.
    init(_ request: Request) throws {
        self.init()
        let parameters = request.uri.queryParameters
        start = try AuditRoutes.unsigned(request, "start") ?? 0
        kind = parameters.get("type")
        department = parameters.get("department")
        agreement = parameters.get("agreement")
        if let text = parameters.get("subject") {
            guard !text.isEmpty, text.count <= 256, text.utf8.count <= 1024 else {
                throw ProblemError(.badRequest, detail: "subject must be 1 to 256 characters")
            }
            subject = text
        }
        if let text = parameters.get("topic") {
            guard let pattern = TopicPattern(text) else {
                throw ProblemError(.badRequest, detail: "topic \"\(text)\" is not a topic pattern")
            }
            topic = pattern
        }
        from = try ExchangeRoutes.time(request, "from")
        until = try ExchangeRoutes.time(request, "until")
        // An inverted range matches nothing: refused before a bulk-read slot is taken and the
        // whole log is scanned for no answer.
        if let from, let until, from > until {
            throw ProblemError(
                .badRequest,
                detail: "from (\(RFC3339.format(nanoseconds: from))) is after until (\(RFC3339.format(nanoseconds: until))): the range holds no time")
        }
    }
}
