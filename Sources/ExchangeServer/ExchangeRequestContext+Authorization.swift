public import ExchangeIdentity
import ExchangeWire
import HTTPTypes
extension ExchangeRequestContext {
    /// The authenticated identity, or a 401 problem: the stored ``authenticationFailure``
    /// (`auth.invalid_token`, `auth.unknown_certificate`) or `auth.unauthenticated`.
    /// - Returns: the principal.
    /// - Throws: `ProblemError(.unauthenticated)` when the request has no identity.
    @discardableResult
    public func requirePrincipal() throws -> Principal {
        guard let principal else {
            if let authenticationFailure { throw authenticationFailure }
            throw ProblemError(
                .unauthenticated, detail: "present a department client certificate or a bearer token",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        return principal
    }

    /// The authenticated identity when its role is one of `roles`: 401 without identity, 403
    /// `auth.forbidden` for another role. Both refusals reach the refusal observer.
    /// - Parameter roles: the roles allowed on the route.
    /// - Returns: the principal.
    ///
    /// ```swift
    /// let principal = try context.requireRole(.auditor, .admin)
    /// ```
    @discardableResult
    public func requireRole(_ roles: Role...) throws -> Principal {
        try requireRole(in: Set(roles))
    }

    /// The authenticated identity when its role is in `roles`; see ``requireRole(_:)``.
    /// - Parameter roles: the roles allowed on the route.
    @discardableResult
    public func requireRole(in roles: Set<Role>) throws -> Principal {
        let principal = try requirePrincipal()
        guard roles.contains(principal.role) else {
            let allowed = roles.map(\.rawValue).sorted().joined(separator: ", ")
            throw ProblemError(.forbidden, detail: "role \(principal.role) may not do this (allowed: \(allowed))")
        }
        return principal
    }
}
