public import ExchangeEngine
import ExchangeModel
public import Logging

extension ServerTLSContext {
    /// Re-reads the TLS files (``reload()``), logs the outcome (info when applied, error when
    /// not) and writes a `tls_reloaded` audit entry: `applied`, `certificate_sha256` (the server
    /// certificate in force afterwards), `revoked_certificates` (a count) and, when not applied, `error`.
    /// - Parameters:
    ///   - exchange: the engine, which writes the audit entry.
    ///   - actor: who asked: `signal` for SIGHUP, the admin's name for `POST /v1/admin/reload`.
    ///   - logger: where the outcome is logged.
    /// - Returns: what the reload did.
    @discardableResult
    public func reloadAndAudit(exchange: Exchange, actor: String, logger: Logger) async -> Outcome {
        let outcome = reload()
        var fields: [String: AuditValue] = [
            "applied": .bool(outcome.applied), "certificate_sha256": .string(outcome.certificateFingerprint),
            "revoked_certificates": .integer(Int64(outcome.revokedCertificates)),
        ]
        if let error = outcome.error {
            fields["error"] = .string(AuditEvent.bounded(error))
            logger.error(
                "TLS files not reloaded: the previous certificate, key and client CA stay in force",
                metadata: ["error": "\(error)", "certificate_sha256": "\(outcome.certificateFingerprint)"])
        } else {
            logger.info(
                "TLS files reloaded",
                metadata: ["certificate_sha256": "\(outcome.certificateFingerprint)", "revoked_certificates": "\(outcome.revokedCertificates)"])
        }
        await exchange.auditLoggingFailure([AuditEvent(kind: .tlsReloaded, actor: actor, fields: fields)], purpose: "a TLS reload")
        return outcome
    }

    /// The `tls` member of the reload answer: `applied`, `certificate_sha256`,
    /// `revoked_certificates`, and `error` when not applied.
    static func document(of outcome: Outcome) -> AuditValue {
        var fields: [String: AuditValue] = [
            "applied": .bool(outcome.applied), "certificate_sha256": .string(outcome.certificateFingerprint),
            "revoked_certificates": .integer(Int64(outcome.revokedCertificates)),
        ]
        if let error = outcome.error { fields["error"] = .string(error) }
        return .object(fields)
    }
}
