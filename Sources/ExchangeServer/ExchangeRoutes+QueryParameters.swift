import ExchangeModel
import ExchangeWire
public import Hummingbird

extension ExchangeRoutes {
    /// A handler that first refuses query parameters the endpoint does not read, or that are
    /// given more than once (400, see ``checkQuery(_:_:)``), then runs `handler`.
    static func refusingUnknownQuery(
        _ endpoint: ExchangeEndpoint, _ handler: @escaping @Sendable (Request, ExchangeRequestContext) async throws -> Response
    ) -> @Sendable (Request, ExchangeRequestContext) async throws -> Response {
        guard endpoint.queryParameters != nil else { return handler }
        return { request, context in
            try checkQuery(endpoint, request)
            return try await handler(request, context)
        }
    }

    /// Refuses a query the endpoint would misread, HTTP route and WebSocket upgrade alike:
    /// a parameter it does not read (400 `http.bad_request`, naming it: a misspelt filter such as
    /// `form_time` would otherwise be ignored and widen the answer without a word), or one given
    /// more than once (400 `http.repeated_query_parameter`: only the first value would be read).
    /// Endpoints that take any name (the registry) check their own query.
    static func checkQuery(_ endpoint: ExchangeEndpoint, _ request: Request) throws {
        // Most requests carry no query: nothing to parse.
        guard endpoint.queryParameters != nil, let query = request.uri.query, !query.isEmpty else { return }
        let names = request.uri.queryParameters.map { String($0.key) }
        let unknown = endpoint.unknownQueryParameters(names)
        guard unknown.isEmpty else {
            let listed = unknown.prefix(3).map { "\"\(AuditEvent.bounded($0))\"" }.joined(separator: ", ")
            let known = endpoint.queryParameters?.sorted().joined(separator: ", ") ?? ""
            throw ProblemError(
                .badRequest,
                detail: "unknown query parameter\(unknown.count == 1 ? "" : "s") \(listed)"
                    + (known.isEmpty ? "; \(endpoint.path) takes none" : "; \(endpoint.path) takes \(known)"))
        }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw ProblemError(
                .repeatedQueryParameter, detail: "query parameter \"\(AuditEvent.bounded(name))\" is given more than once; give it once")
        }
    }
}
