public import ExchangeModel
import ExchangeStore
import CoreMetrics
import Logging
import Synchronization
public import ExchangeRouting

extension Exchange {
    /// Writes the result of an agreement load to the audit log: what was added, changed,
    /// removed and refused, and whether the new set is in force.
    /// - Parameters:
    ///   - report: the result of `AgreementRegistry.reload()` or `replace(with:)`.
    ///   - actor: who caused the load (a token name, `exchange` at start-up, `signal` for SIGHUP).
    public func auditReload(_ report: ReloadReport, actor: String) async {
        var fields = Self.document(of: report)
        fields["in_force"] = .list(agreements.current.agreements.map { .string("\($0.id) v\($0.version) \($0.status)") })
        let event = AuditEvent(kind: .agreementsChanged, actor: actor, fields: fields)
        await auditLoggingFailure([event], purpose: "an agreement load")
        await checkAgreementStandings(checked: agreementWatch.state.withLock { $0.checked } ? .reload : .start)
    }

    /// The document of a load, as the admin API answers it and the `agreements_changed` audit
    /// entry records it:
    /// - `applied`: whether the new set is in force;
    /// - `added`, `removed`: `{"id", "version"}` objects;
    /// - `changed`: `{"id", "from_version", "to_version", "from_status", "to_status"}` objects;
    /// - `refused`: agreement files refused, `{"file", "id" (when the file named one), "errors"}`;
    ///   a refused agreement is not in force, even if an earlier version was;
    /// - `errors`: what kept the whole set from being applied (departments, topics).
    public static func document(of report: ReloadReport) -> [String: AuditValue] {
        func reference(_ reference: AgreementReference) -> AuditValue {
            .object(["id": .string(reference.id), "version": .integer(Int64(reference.version))])
        }
        return [
            "applied": .bool(report.isApplied),
            "added": .list(report.added.map(reference)),
            "removed": .list(report.removed.map(reference)),
            "changed": .list(
                report.changed.map {
                    .object([
                        "id": .string($0.id), "from_version": .integer(Int64($0.fromVersion)), "to_version": .integer(Int64($0.toVersion)),
                        "from_status": .string($0.fromStatus.rawValue), "to_status": .string($0.toStatus.rawValue),
                    ])
                }),
            "refused": .list(
                report.refused.map { refusal in
                    var object: [String: AuditValue] = [
                        "file": .string(refusal.file), "errors": .list(refusal.errors.map { .string($0.description) }),
                    ]
                    if let id = refusal.id { object["id"] = .string(id) }
                    return .object(object)
                }),
            "errors": .list(report.errors.map { .string($0.description) }),
        ]
    }
}

extension Exchange {
    /// Re-reads the agreements (departments, topics, agreements) from their directory, audits
    /// the result, counts it (`exchange_config_reloads_total{result}`) and logs it with who
    /// asked, how, and what came of it: at notice when applied, at error when refused. The one
    /// path of a reload, by SIGHUP or by `POST /v1/admin/reload`.
    /// - Parameters:
    ///   - actor: who asked (a token name, or `signal` for SIGHUP).
    ///   - trigger: how (`sighup`, `admin_api`).
    /// - Returns: the load's report.
    @discardableResult
    public func reloadAgreements(actor: String, trigger: String) async -> ReloadReport {
        let report = agreements.reload()
        await auditReload(report, actor: actor)
        let metadata: Logger.Metadata = [
            "actor": "\(actor)", "trigger": "\(trigger)", "result": "\(report.isApplied ? "applied" : "failed")",
            "added": "\(report.added.count)", "changed": "\(report.changed.count)",
            "removed": "\(report.removed.count)", "refused": "\(report.refused.count)",
        ]
        if report.isApplied {
            metrics.reloadsApplied.increment()
            logger.notice("agreements reloaded", metadata: metadata)
        } else {
            metrics.reloadsFailed.increment()
            var failed = metadata
            failed["errors"] = "\(report.allErrors.map(\.description).joined(separator: "; "))"
            logger.error("agreements not reloaded", metadata: failed)
        }
        return report
    }
}
