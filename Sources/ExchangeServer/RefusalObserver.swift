public import ExchangeModel

/// Receives every refused request (401 and 403 answers) as an `access_denied` audit event, so
/// that the daemon can write it to the audit log.
///
/// The event's `actor` is the principal's name, or `anonymous`; its fields are `method`, `path`,
/// `status`, `code`, `reason` (the problem detail) and, when known, `role`.
public typealias RefusalObserver = @Sendable (AuditEvent) async -> Void
