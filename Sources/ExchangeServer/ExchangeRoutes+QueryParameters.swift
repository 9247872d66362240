import ExchangeModel
import ExchangeWire
public import Hummingbird

extension ExchangeRoutes {
    /// A handler that first refuses query parameters the endpoint does not read (400
    /// `http.bad_request`, naming them), then runs `handler`. A misspelt filter such as
    /// `form_time` would otherwise be ignored and widen the answer without a word.
    static func refusingUnknownQuery(
        _ endpoint: ExchangeEndpoint, _ handler: @escaping @Sendable (Request, ExchangeRequestContext) async throws -> Response
    ) -> @Sendable (Request, ExchangeRequestContext) async throws -> Response {
        guard endpoint.queryParameters != nil else { return handler }
        return { request, context in
            // Most requests carry no query: nothing to parse.
            guard let query = request.uri.query, !query.isEmpty else { return try await handler(request, context) }
            let unknown = endpoint.unknownQueryParameters(request.uri.queryParameters.map { String($0.key) })
            guard unknown.isEmpty else {
                let names = unknown.prefix(3).map { "\"\(AuditEvent.bounded($0))\"" }.joined(separator: ", ")
                let known = endpoint.queryParameters?.sorted().joined(separator: ", ") ?? ""
                throw ProblemError(
                    .badRequest,
                    detail: "unknown query parameter\(unknown.count == 1 ? "" : "s") \(names)"
                        + (known.isEmpty ? "; \(endpoint.path) takes none" : "; \(endpoint.path) takes \(known)"))
            }
            return try await handler(request, context)
        }
    }
}
