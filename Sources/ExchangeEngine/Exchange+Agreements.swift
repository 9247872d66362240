public import ExchangeModel
import ExchangeStore
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
