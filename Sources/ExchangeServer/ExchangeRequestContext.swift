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
    /// The SHA-256 fingerprint of the TLS client certificate the connection presented, set by
    /// the authentication middleware; `nil` without one.
    public var certificateFingerprint: String?
    /// The revoked client certificates in force, as the authentication middleware reads them,
    /// so that an open stream can check its certificate again (``isCertificateRevoked``).
    var revokedCertificates: @Sendable () -> RevokedCertificates
    /// The largest request body a handler decodes, bytes (`limits.max_request_body`).
    public var maxUploadSize: Int

    /// Creates the context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
        self.principal = nil
        self.authenticationFailure = nil
        self.certificateFingerprint = nil
        self.revokedCertificates = { .none }
        self.maxUploadSize = ServerLimits.default.maxRequestBody
    }
}

extension ExchangeRequestContext {
    /// Whether the connection's client certificate is listed in the revoked certificates in
    /// force now (re-read on reload); `false` without a certificate.
    public var isCertificateRevoked: Bool {
        guard let certificateFingerprint else { return false }
        return revokedCertificates().isRevoked(certificateFingerprint)
    }
}
