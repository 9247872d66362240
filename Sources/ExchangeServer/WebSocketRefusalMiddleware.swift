import HTTPTypes
import Hummingbird
import NIOCore

/// The outermost middleware of the WebSocket router: hands the router's answer to a refused
/// upgrade (a problem document, 401 for a client without certificate or token) to the
/// connection's ``HTTPRequestGuard``, which writes it instead of the framework's empty 400.
struct WebSocketRefusalMiddleware: RouterMiddleware {
    typealias Context = ExchangeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard response.status != .ok else { return response }
        let refusal = try await PreparedResponse(collecting: response)
        let channel = context.channel
        // Delivered before the upgrade is refused, which happens once this answer returns.
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: HTTPRequestGuard.self).upgradeRefusal = refusal
        }.get()
        return Response(status: refusal.status, headers: refusal.headers, body: .init(byteBuffer: refusal.body))
    }
}
