import ExchangeModel
import ExchangeStore
import Logging
public import ExchangeRouting

extension Exchange {
    /// Writes the result of an agreement load to the audit log: what was added, changed,
    /// removed and refused, and whether the new set is in force.
    /// - Parameters:
    ///   - report: the result of `AgreementRegistry.reload()` or `replace(with:)`.
    ///   - actor: who caused the load (a token name, `exchange` at start-up, `signal` for SIGHUP).
    public func auditReload(_ report: ReloadReport, actor: String) async {
        let event = AuditEvent(
            kind: .agreementsChanged, actor: actor,
            fields: [
                "applied": .bool(report.isApplied),
                "added": .list(report.added.map { .string($0.description) }),
                "changed": .list(report.changed.map { .string($0.description) }),
                "removed": .list(report.removed.map { .string($0.description) }),
                "refused": .list(report.refused.map { .string($0.id ?? $0.file) }),
                "errors": .list(report.allErrors.map { .string($0.description) }),
                "in_force": .list(agreements.current.agreements.map { .string("\($0.id) v\($0.version) \($0.status)") }),
            ])
        do {
            _ = try await store.appendAudit([event])
        } catch {
            logger.error("could not audit an agreement load", metadata: ["error": "\(error)"])
        }
    }
}
