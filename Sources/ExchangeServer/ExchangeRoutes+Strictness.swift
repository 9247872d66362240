public import Hummingbird
import ExchangeModel
import HTTPTypes

extension ExchangeRoutes {
    /// The methods a path of the API may be asked with; any of them that the path does not serve
    /// is answered 405 with `Allow` (RFC 9110, section 15.5.6) instead of 404.
    static let answeredMethods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    /// A handler that first refuses query parameters the endpoint does not read (400
    /// `http.bad_request`, naming them), then runs `handler`. A misspelt filter such as
    /// `form_time` would otherwise be ignored and widen the answer without a word.
    static func refusingUnknownQuery(
        _ endpoint: ExchangeEndpoint, _ handler: @escaping @Sendable (Request, ExchangeRequestContext) async throws -> Response
    ) -> @Sendable (Request, ExchangeRequestContext) async throws -> Response {
        guard endpoint.queryParameters != nil else { return handler }
        return { request, context in
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

    /// Registers, for every path of ``endpoints`` (HTTP and WebSocket), a 405 answer with `Allow`
    /// for each of ``answeredMethods`` the path does not serve.
    /// - Parameter v1: the authenticated `/v1` group, so that anonymous clients still get 401.
    static func registerMethodNotAllowed(on v1: RouterGroup<ExchangeRequestContext>) {
        var methodsByPath: [String: Set<HTTPRequest.Method>] = [:]
        var order: [ExchangeEndpoint] = []
        for endpoint in endpoints {
            if methodsByPath[endpoint.path] == nil { order.append(endpoint) }
            methodsByPath[endpoint.path, default: []].insert(endpoint.method)
        }
        for endpoint in order {
            let served = methodsByPath[endpoint.path] ?? []
            var allowed = answeredMethods.filter(served.contains).map(\.rawValue)
            if served.contains(.get) { allowed.insert("HEAD", at: allowed.firstIndex(of: "GET").map { $0 + 1 } ?? 0) }
            let allow = allowed.joined(separator: ", ")
            let path = endpoint.path
            for method in answeredMethods where !served.contains(method) {
                v1.on(RouterPath(endpoint.routerPath), method: method) { request, _ -> Response in
                    throw ProblemError(
                        .methodNotAllowed, detail: "\(path) answers \(allow), not \(request.method.rawValue)", headers: [.allow: allow])
                }
            }
        }
    }
}
