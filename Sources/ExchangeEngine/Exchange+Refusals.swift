public import ExchangeModel
import Foundation
import Logging

extension Exchange {
    /// Audits a request refused outside the engine (by authentication, the HTTP layer's parsing,
    /// or a role check).
    ///
    /// A refusal that names an identity is written at once as one entry: `access_denied` for a
    /// 401 or 403, `rejected` for other answers, with the method, the path (bounded), status,
    /// code, reason and role; but only the first `audit.principal_refusals.burst` of its
    /// principal in an interval: further ones are counted (``principalRefusals``) and written as
    /// one summary entry per principal at the next ``flushPrincipalRefusals()``, so that no
    /// caller grows the log at request rate. A refusal without an identity is only counted (see
    /// ``AnonymousRefusals``) and written with its source's others at the next
    /// ``flushAnonymousRefusals()``. A refusal answered 503 (a bulk read refused for the
    /// budget, `replay.busy`) or 429 (a read past the principal's `audit.read_limit`,
    /// `reads.rate_limited`), which a principal may cause as often as it retries, is counted
    /// per actor likewise (``busyRefusals``) and written at the same flush; so is a refusal of
    /// an expired bearer token (``expiredTokenRefusals``, per token name).
    /// - Parameter refusal: what was refused, and how it was answered.
    public func recordRefusal(_ refusal: RequestRefusal) async {
        guard let actor = refusal.actor else {
            anonymousRefusals.record(refusal, at: Self.nanoseconds(Date()))
            return
        }
        if refusal.status == 503 || refusal.status == 429 {
            busyRefusals.record(refusal, at: Self.nanoseconds(Date()))
            return
        }
        if refusal.code == Self.tokenExpiredCode {
            expiredTokenRefusals.record(refusal, at: Self.nanoseconds(Date()))
            return
        }
        if principalRefusals.record(refusal, at: Self.nanoseconds(Date())) { return }
        var fields: [String: AuditValue] = [
            "method": .string(AuditEvent.bounded(refusal.method)), "path": .string(AuditEvent.bounded(refusal.path)),
            "status": .integer(Int64(clamping: refusal.status)), "code": .string(AuditEvent.bounded(refusal.code)),
        ]
        if let detail = refusal.detail { fields["reason"] = .string(AuditEvent.bounded(detail)) }
        if let role = refusal.role { fields["role"] = .string(role) }
        let kind: AuditEvent.Kind = refusal.status == 401 || refusal.status == 403 ? .accessDenied : .rejected
        await auditRefusal([AuditEvent(kind: kind, actor: actor, fields: fields)])
    }

    /// Counts a refusal the engine itself audits (a refused publish or subscription) into its
    /// principal's tally when the principal is past its burst for the interval, and returns
    /// whether it did: the caller then writes no entry of its own, and the refusal is written
    /// with the others in the principal's summary entry at the next ``flushPrincipalRefusals()``.
    /// In that entry the method is `action` (`PUBLISH`, `SUBSCRIBE`), the path the topic or
    /// subscription, and the status 403 for a `denial` (a refusal of kind forbidden), else 0 (the
    /// engine answers no HTTP status), so that a summary of denials alone is `access_denied`.
    func countedEngineRefusal(actor: String, action: String, target: String, code: String, detail: String, denial: Bool = false) -> Bool {
        let refusal = RequestRefusal(
            actor: actor, role: "department", source: "unknown", method: action, path: target, status: denial ? 403 : 0, code: code,
            detail: detail)
        return principalRefusals.record(refusal, at: Self.nanoseconds(Date()))
    }

    /// The code of a refused expired bearer token (the HTTP layer's `auth.token_expired`).
    static let tokenExpiredCode = "auth.token_expired"

    /// Writes the anonymous refusals and the 503 refusals counted since the last flush (at most
    /// `maxSources + 1` entries each) and returns how many entries were written.
    @discardableResult
    public func flushAnonymousRefusals() async -> Int {
        let events = anonymousRefusals.drain() + busyRefusals.drain() + expiredTokenRefusals.drain()
        guard !events.isEmpty else { return 0 }
        await auditRefusal(events)
        logger.info("anonymous refusals audited", metadata: ["entries": "\(events.count)"])
        return events.count
    }

    /// Writes the refusals of identified callers counted since the last flush (one summary
    /// entry per principal, and at most one for the principals beyond
    /// `audit.principal_refusals.max_principals`), starts a new interval in which each principal
    /// again has its burst of entries, and returns how many entries were written.
    @discardableResult
    public func flushPrincipalRefusals() async -> Int {
        let events = principalRefusals.drain()
        guard !events.isEmpty else { return 0 }
        await auditRefusal(events)
        logger.info("principal refusals audited", metadata: ["entries": "\(events.count)"])
        return events.count
    }
}
