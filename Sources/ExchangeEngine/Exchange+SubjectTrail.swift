import ExchangeModel
import ExchangeRouting
import ExchangeStore

extension Exchange {
    /// Most events one page of the data tracker holds.
    public static let maxSubjectTrailPage = 1000

    /// The data tracker: up to `limit` events about `subject`, newest first, below audit index
    /// `before`, each with the departments it was routed to, the agreement and its version, and
    /// that agreement's purpose as in force now; read through the audit log's subject index.
    /// `viewer` limits it: a department sees only the events it published or received.
    /// - Throws: ``ExchangeError`` with the store's error.
    public func subjectTrail(_ subject: String, viewer: DataViewer, before: UInt64?, limit: Int) throws(ExchangeError) -> SubjectTrail {
        guard viewer != .nobody else { return SubjectTrail(subject: subject, events: [], nextBefore: nil) }
        var filter = AuditEntryFilter()
        filter.subject = subject
        filter.kind = AuditEvent.Kind.published.rawValue
        let page = try auditPage(filter, before: before, limit: min(max(limit, 1), Self.maxSubjectTrailPage)) { entry in
            guard case .department(let department) = viewer else { return true }
            if entry["actor"]?.stringValue == department.rawValue { return true }
            guard case .array(let routes)? = entry["routes"] else { return false }
            return routes.contains { $0["consumer"]?.stringValue == department.rawValue }
        }
        let set = agreements.current
        let events = page.records.compactMap { record -> SubjectTrail.Event? in
            guard let entry = try? JSONValue.parse(record.entry) else { return nil }
            var recipients: [SubjectTrail.Recipient] = []
            if case .array(let routes)? = entry["routes"] {
                for route in routes {
                    let agreement = route["agreement"]?.stringValue ?? ""
                    recipients.append(
                        SubjectTrail.Recipient(
                            department: route["consumer"]?.stringValue ?? "", agreement: agreement,
                            agreementVersion: Self.unsigned(route["agreement_version"]) ?? 0, purpose: set.agreement(agreement)?.purpose))
                }
            }
            return SubjectTrail.Event(
                index: record.index, sequence: Self.unsigned(entry["sequence"]) ?? 0, time: entry["time"]?.stringValue ?? "",
                provider: entry["actor"]?.stringValue ?? "", topic: entry["topic"]?.stringValue ?? "", recipients: recipients)
        }
        return SubjectTrail(subject: subject, events: events, nextBefore: page.nextBefore)
    }

    private static func unsigned(_ value: JSONValue?) -> UInt64? {
        guard case .number(let number)? = value else { return nil }
        return UInt64(number.text)
    }
}
