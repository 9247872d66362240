import ExchangeEngine
import ExchangeModel
import ExchangeWire
import Hummingbird

extension AuditEntryFilter {
    /// Reads the query of `request`: `type`, `department`, `agreement`, `topic`, `subject` (1 to
    /// 256 characters), `from`, `until` (RFC 3339) and `start`.
    /// - Throws: a `http.bad_request` problem for a malformed parameter.
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
    }
}
