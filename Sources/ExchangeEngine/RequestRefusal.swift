/// A request the exchange refused, as the layer that answered it reports it for the audit log.
///
/// ```swift
/// await exchange.recordRefusal(RequestRefusal(
///     actor: nil, role: nil, source: "192.0.2.7", method: "GET", path: "/v1/replay",
///     status: 401, code: "auth.unauthenticated", detail: "no credentials"))
/// ```
public struct RequestRefusal: Hashable, Sendable {
    /// The authenticated identity's name (department or token), or `nil` when the request named
    /// none that the exchange accepted.
    public var actor: String?
    /// The identity's role, when there is one.
    public var role: String?
    /// The peer's address (IP, without the port), or `unknown`.
    public var source: String
    /// The request method, or `TLS` for a refused handshake.
    public var method: String
    /// The request path (kept at most ``AuditEvent/maxClientTextBytes`` bytes in the log).
    public var path: String
    /// The answer's status.
    public var status: Int
    /// The answer's stable problem code.
    public var code: String
    /// The answer's detail.
    public var detail: String?

    /// Creates a refusal.
    public init(
        actor: String?, role: String?, source: String, method: String, path: String, status: Int, code: String, detail: String?
    ) {
        self.actor = actor
        self.role = role
        self.source = source
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.detail = detail
    }
}
