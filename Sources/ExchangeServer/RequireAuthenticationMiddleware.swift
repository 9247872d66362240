public import Hummingbird

/// Refuses (401) requests without an identity before they reach a route of the group.
public struct RequireAuthenticationMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    /// Creates the middleware.
    public init() {}

    /// Checks the principal and runs the rest of the chain.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try context.requirePrincipal()
        return try await next(request, context)
    }
}
