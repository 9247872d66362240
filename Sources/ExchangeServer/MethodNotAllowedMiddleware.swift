import ExchangeWire
import HTTPTypes
public import Hummingbird

/// Answers 405 `http.method_not_allowed` with `Allow` (RFC 9110, section 15.5.6), instead of 404,
/// when no route matched a request but its path is one the exchange serves with other methods.
///
/// It sits inside the problem middleware, which writes the answer. On `/v1` paths the caller must
/// be identified first (401 otherwise), as on the routes themselves.
public struct MethodNotAllowedMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    /// One path template, split into segments (`nil` for a `{parameter}`), and its methods.
    struct Template {
        let path: String
        let segments: [Substring?]
        let allow: String
        let methods: Set<HTTPRequest.Method>

        func matches(_ path: [Substring]) -> Bool {
            guard path.count == segments.count else { return false }
            return zip(path, segments).allSatisfy { segment, template in template.map { $0 == segment } ?? !segment.isEmpty }
        }
    }

    let templates: [Template]

    /// Creates the middleware over the exchange's routes: ``ExchangeRoutes/endpoints`` and the
    /// operations endpoints.
    public init() {
        self.init(routes: ExchangeRoutes.endpoints.map { ($0.path, $0.method) } + OperationsRoutes.paths.map { ($0, .get) })
    }

    /// Creates the middleware over `routes`: full path templates with `{parameter}` segments.
    init(routes: [(path: String, method: HTTPRequest.Method)]) {
        var methods: [String: [HTTPRequest.Method]] = [:]
        var order: [String] = []
        for (path, method) in routes {
            if methods[path] == nil { order.append(path) }
            methods[path, default: []].append(method)
        }
        let preferred: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
        templates = order.map { path in
            let served = Set(methods[path] ?? [])
            let allow = preferred.filter(served.contains).map(\.rawValue) + served.subtracting(preferred).map(\.rawValue).sorted()
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : $0 }
            return Template(path: path, segments: segments, allow: allow.joined(separator: ", "), methods: served)
        }
    }

    /// Runs the chain; turns its "no route" 404 into a 405 when the path is served otherwise.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path.split(separator: "/")
            // A served method that still found no route (a WebSocket path asked without the
            // upgrade, say) is the 404 it was.
            guard let template = templates.first(where: { $0.matches(path) }), !template.methods.contains(request.method) else { throw error }
            if template.path.hasPrefix("/v1/") { try context.requirePrincipal() }
            throw ProblemError(
                .methodNotAllowed, detail: "\(template.path) answers \(template.allow), not \(request.method.rawValue)",
                headers: [.allow: template.allow])
        }
    }
}
