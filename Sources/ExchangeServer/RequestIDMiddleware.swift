import HTTPTypes
public import Hummingbird

/// Gives each request an id (``RequestID``): the client's `X-Request-Id` when acceptable, else
/// a new one; serves the rest of the chain with it as ``RequestID/current``, so every log line
/// written meanwhile carries it, and echoes it in the response's `X-Request-Id`. The first
/// middleware of both routers.
public struct RequestIDMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    /// The header's name, `X-Request-Id`.
    public static let header = HTTPField.Name("X-Request-Id")!

    /// Creates the middleware.
    public init() {}

    /// Serves the request under its id and echoes the id.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = RequestID.accepting(request.headers[Self.header])
        var response = try await RequestID.$current.withValue(id) { try await next(request, context) }
        response.headers[Self.header] = id
        return response
    }
}
