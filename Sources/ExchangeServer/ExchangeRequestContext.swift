import ExchangeConfig
public import ExchangeIdentity
public import ExchangeWire
public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore

/// The request context of every exchange route, HTTP and WebSocket upgrade alike.
///
/// It carries the channel (to read the TLS peer certificate) and, after the authentication
/// middleware ran, the authenticated `principal`.
///
/// ```swift
/// group.get("whoami") { _, context in
///     let principal = try context.requireRole(.department, .admin)
///     return principal.actor
/// }
/// ```
public struct ExchangeRequestContext: RequestContext, WebSocketRequestContext {
    /// Hummingbird's own per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The WebSocket handler slot used by `ws(...)` routes.
    public let webSocket: WebSocketHandlerReference<ExchangeRequestContext>
    /// The connection the request arrived on.
    public let channel: any Channel
    /// The authenticated identity; `nil` until the authentication middleware found one.
    public var principal: Principal?
    /// Why authentication failed (a bad token, an unknown certificate), answered by the first
    /// role check; `nil` when it succeeded or nothing was presented.
    public var authenticationFailure: ProblemError?
    /// Who a refused identity is, for the audit log, when the refusal leaves no ``principal``:
    /// the department of a revoked certificate. `nil` otherwise.
    public var refusedActor: String?
    /// The largest request body a handler decodes, bytes (`limits.max_request_body`).
    public var maxUploadSize: Int

    /// Creates the context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
        self.principal = nil
        self.authenticationFailure = nil
        self.maxUploadSize = ServerLimits.default.maxRequestBody
    }
}
