public import ExchangeIdentity
import ExchangeModel
import ExchangeWire
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore

/// Finds the identity of each request and stores it in ``ExchangeRequestContext/principal``.
///
/// - `Authorization: Bearer <secret>`: the token's principal from the ``TokenStore``; a bearer
///   token takes precedence over a client certificate on the same connection.
/// - otherwise the TLS peer certificate (already verified against the client CA by the
///   handshake), mapped to a department by the ``CertificateIdentityResolver``. The certificate
///   is read once per connection; the resolver is asked on every request, so a changed
///   department list applies to open connections too.
///
/// A certificate listed as revoked (``RevokedCertificates``) is refused on every request with
/// `auth.certificate_revoked`, audited under the department it names.
///
/// It refuses nothing itself: a bad token or an unknown certificate is kept as
/// ``ExchangeRequestContext/authenticationFailure`` and answered (401) by the first role check,
/// so that unauthenticated routes such as `/healthz` still work.
public struct AuthenticationMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    let tokens: TokenStore?
    let resolver: any CertificateIdentityResolver
    let revoked: @Sendable () -> RevokedCertificates
    let peers = PeerIdentityCache()

    /// Creates the middleware.
    /// - Parameters:
    ///   - tokens: the bearer tokens; `nil` accepts none.
    ///   - resolver: maps client certificates to departments.
    ///   - revoked: the revoked client certificates in force, asked on every request.
    public init(
        tokens: TokenStore?, resolver: any CertificateIdentityResolver, revoked: @escaping @Sendable () -> RevokedCertificates = { .none }
    ) {
        self.tokens = tokens
        self.resolver = resolver
        self.revoked = revoked
    }

    /// Authenticates the request and runs the rest of the chain.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.revokedCertificates = revoked
        if let authorization = request.headers[.authorization] {
            let lookup = Self.bearerSecret(authorization).flatMap { tokens?.lookup(secret: $0) } ?? .invalid
            if case .valid(let principal) = lookup {
                context.principal = principal
            } else if case .expired(let name, let expires) = lookup {
                context.refusedActor = name
                context.authenticationFailure = ProblemError(
                    .tokenExpired, detail: "the bearer token \"\(name)\" expired at \(expires); ask an admin for a new one",
                    headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\", error_description=\"expired\""])
            } else {
                context.authenticationFailure = ProblemError(
                    .invalidToken, detail: "the bearer token is unknown, malformed or revoked",
                    headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])
            }
        } else if let identity = await peers.identity(of: context.channel) {
            context.certificateFingerprint = identity.sha256Fingerprint
            if revoked().isRevoked(identity.sha256Fingerprint) {
                let department = resolver.department(for: identity)
                context.refusedActor = department?.rawValue ?? "certificate:\(identity.sha256Fingerprint)"
                context.authenticationFailure = ProblemError(
                    .certificateRevoked,
                    detail: "the client certificate (CN \(identity.commonName ?? "none"), SHA-256 \(identity.sha256Fingerprint)) is revoked "
                        + "(server.tls.revoked_certificates)")
            } else if let department = resolver.department(for: identity) {
                context.principal = .department(department)
            } else {
                context.authenticationFailure = ProblemError(
                    .unknownCertificate,
                    detail: "the client certificate (CN \(identity.commonName ?? "none"), SHA-256 \(identity.sha256Fingerprint)) names no department")
            }
        }
        return try await next(request, context)
    }

    /// The secret of an `Authorization: Bearer <secret>` value (scheme case-insensitive).
    static func bearerSecret(_ value: String) -> String? {
        // In bytes, without Foundation: this runs for every token-authenticated request.
        let utf8 = value.utf8
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var start = utf8.startIndex
        while start < utf8.endIndex, isBlank(utf8[start]) { start = utf8.index(after: start) }
        let scheme = Array("bearer".utf8)
        var index = start
        for expected in scheme {
            guard index < utf8.endIndex, utf8[index] | 0x20 == expected else { return nil }
            index = utf8.index(after: index)
        }
        // The scheme must be followed by at least one blank.
        guard index < utf8.endIndex, isBlank(utf8[index]) else { return nil }
        while index < utf8.endIndex, isBlank(utf8[index]) { index = utf8.index(after: index) }
        var end = utf8.endIndex
        while end > index, isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard index < end else { return nil }
        return String(Substring(utf8[index..<end]))
    }
}
