import ExchangeAudit
public import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation

/// What the audit explorer filters by: the engine's ``AuditEntryFilter`` plus the subject.
public struct ConsoleAuditQuery: Sendable {
    /// The engine's filter (kind, department, agreement, time).
    public var filter = AuditEntryFilter()
    /// The `subject` member, exactly.
    public var subject: String?
    /// Read entries below this index (the page's start, newest first); the log's end when `nil`.
    public var before: UInt64?
    /// The raw values, to fill the form again.
    public var form: [String: String] = [:]

    /// Creates an empty query.
    public init() {}

    /// Whether `entry` passes.
    func matches(_ entry: JSONValue) -> Bool {
        if let subject, entry["subject"]?.stringValue != subject { return false }
        return filter.matches(entry)
    }
}

extension ConsolePages {
    /// The kinds offered in the explorer's filter.
    static let kinds = [
        "published", "acknowledged", "withheld", "dead_lettered", "rejected", "access_denied", "subscription_changed", "queried",
        "replayed", "agreements_changed", "token_changed", "audit_read",
    ]

    /// The audit explorer: entries newest first, filtered, ``pageSize`` a page. A filter that
    /// names a subject, agreement, department or kind is answered through the audit log's filter
    /// index (reads grow with the page); one of topic or times alone, or none, reads at most
    /// ``maxScan`` entries a page (the "older" link continues where the read stopped; "newest"
    /// goes back to the start).
    public func audit(_ viewer: ConsoleViewer, query: ConsoleAuditQuery) throws -> String {
        var context = viewer.base(title: "audit_title", current: .audit)
        let count = exchange.auditCount
        let end = min(query.before ?? count, count)
        var rows: [[String: Any]] = []
        var filter = query.filter
        if let subject = query.subject { filter.subject = subject }
        let next: UInt64
        let scanned: UInt64
        let limited: Bool
        if filter.indexKey != nil {
            let page = try exchange.auditPage(filter, before: end, limit: Self.pageSize, maxRead: Int(Self.maxScan))
            rows = page.records.compactMap { record in Self.parse(record).map { Self.row(record.index, $0) } }
            next = page.nextBefore ?? 0
            scanned = UInt64(page.read)
            limited = page.nextBefore != nil && page.read >= Int(Self.maxScan)
        } else {
            (next, scanned) = try Self.scanBackwards(exchange, before: end, limit: Self.maxScan) { record, entry in
                guard query.matches(entry) else { return true }
                rows.append(Self.row(record.index, entry))
                return rows.count < Self.pageSize
            }
            limited = scanned >= Self.maxScan
        }
        context["rows"] = rows
        context["filter"] = query.form
        context["kinds"] = [["value": "", "label": "*", "selected": query.filter.kind == nil]]
            + Self.kinds.map { ["value": $0, "label": $0, "selected": $0 == query.filter.kind] as [String: Any] }
        context["scanLimited"] = limited
        context["scanned"] = String(scanned)
        var parameters = query.form.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
        func link(before: UInt64) -> String {
            parameters.removeAll { $0.key == "before" }
            var components = URLComponents()
            components.path = "/console/audit"
            components.queryItems = (parameters + [("before", String(before))]).map { URLQueryItem(name: $0.0, value: $0.1) }
            return components.string ?? "/console/audit"
        }
        if next > 0 { context["olderHref"] = link(before: next) }
        if end < count {
            // Back to the newest entries with the same filter.
            var components = URLComponents()
            components.path = "/console/audit"
            let kept = parameters.filter { $0.key != "before" }
            components.queryItems = kept.isEmpty ? nil : kept.map { URLQueryItem(name: $0.key, value: $0.value) }
            context["newerHref"] = components.string ?? "/console/audit"
        }
        return renderer.render("audit", context)
    }

    static func row(_ index: UInt64, _ entry: JSONValue) -> [String: Any] {
        [
            "index": String(index), "time": text(entry["time"]), "kind": text(entry["kind"]), "actor": text(entry["actor"]),
            "subject": text(entry["subject"]), "topic": text(entry["topic"]),
        ]
    }

    /// One audit entry; for a `published` entry the event's life (its routes, then the
    /// acknowledgements, withholdings and dead letters naming its sequence, and who read this
    /// page, the first ``maxLifeRows`` of each, through the filter index), and the entry's inclusion proof in the latest
    /// signed checkpoint, for the browser to verify.
    /// - Returns: `nil` when the log has no entry `index`.
    public func entry(_ viewer: ConsoleViewer, index: UInt64) throws -> String? {
        guard index < exchange.auditCount, let record = try exchange.auditEntries(from: index, limit: 1).first, record.index == index
        else { return nil }
        var context = viewer.base(title: "entry_title", current: .audit)
        let messages = viewer.language.messages
        let entry = Self.parse(record) ?? .null
        let kind = Self.text(entry["kind"])
        context["index"] = String(index)
        context["kind"] = kind
        context["actor"] = Self.text(entry["actor"])
        context["time"] = Self.text(entry["time"])
        if let subject = entry["subject"] { context["subject"] = Self.text(subject) }
        if let topic = entry["topic"] { context["topic"] = Self.text(topic) }
        context["entryText"] = String(decoding: record.entry, as: UTF8.self)
        if kind == "published", let sequence = entry["sequence"] {
            let sequenceText = Self.text(sequence)
            context["sequence"] = sequenceText
            context["isPublished"] = true
            context["digest"] = Self.text(entry["data_digest"])
            var routes: [[String: Any]] = []
            if case .array(let list)? = entry["routes"] {
                routes = list.map {
                    ["agreement": Self.text($0["agreement"]), "version": Self.text($0["agreement_version"]), "consumer": Self.text($0["consumer"])]
                }
            }
            context["routes"] = routes
            var followUps: [[String: Any]] = []
            var settled: [String: String] = [:]
            var readers: [[String: Any]] = []
            let page = "/console/audit/\(index)"
            // Through the filter index: the entries naming the event's sequence, and the reads of this page.
            if let sequenceNumber = UInt64(sequenceText) {
                for later in try exchange.auditEntries(matching: .sequence(sequenceNumber), from: index + 1, limit: Self.maxLifeRows) {
                    guard let value = Self.parse(later) else { continue }
                    let laterKind = Self.text(value["kind"])
                    guard ["acknowledged", "withheld", "dead_lettered"].contains(laterKind), Self.text(value["sequence"]) == sequenceText
                    else { continue }
                    let detail = [value["consumer"], value["subscription"], value["reason"]].compactMap { $0 }.map { Self.text($0) }
                    if let subscription = value["subscription"]?.stringValue { settled[subscription] = laterKind }
                    followUps.append([
                        "index": String(later.index), "kind": laterKind, "actor": Self.text(value["actor"]),
                        "detail": detail.joined(separator: " · "), "time": Self.text(value["time"]),
                    ])
                }
            }
            for later in try exchange.auditEntries(matching: .endpoint(page), from: index + 1, limit: Self.maxLifeRows) {
                guard let value = Self.parse(later), Self.text(value["kind"]) == "audit_read", Self.text(value["endpoint"]) == page else { continue }
                readers.append(["actor": Self.text(value["actor"]), "time": Self.text(value["time"])])
            }
            context["followUps"] = followUps
            let deliveries = try deliveryRows(
                sequence: UInt64(sequenceText) ?? 0, topic: Self.text(entry["topic"]),
                consumers: Set(routes.compactMap { $0["consumer"] as? String }), settled: settled, messages: messages)
            context["deliveries"] = deliveries
            context["hasDeliveries"] = !deliveries.isEmpty
            context["readers"] = readers
            context["hasReaders"] = !readers.isEmpty
        }
        if let verifier, let checkpoint = try exchange.checkpoint(treeSize: nil), checkpoint.treeSize > index {
            let path = try exchange.auditInclusionProof(index: index, treeSize: checkpoint.treeSize)
            context["proof"] = [
                "entry": Data(record.entry).base64EncodedString(), "index": String(index), "treeSize": String(checkpoint.treeSize),
                "path": path.map(\.base64).joined(separator: " "), "checkpoint": Data(checkpoint.note.utf8).base64EncodedString(),
                "verifierKey": (try? verifier.verifierKey) ?? "",
            ]
        }
        return renderer.render("entry", context)
    }

    /// The data tracker: for `subject`, each department an event about it was routed to, when,
    /// under which agreement version and purpose (the purpose of the agreement in force now),
    /// newest first, ``pageSize`` events a page below audit index `before`, through the audit
    /// log's subject index (``Exchange/subjectTrail(_:viewer:before:limit:)``).
    public func tracker(_ viewer: ConsoleViewer, subject: String?, before: UInt64? = nil) throws -> String {
        var context = viewer.base(title: "tracker_title", current: .tracker)
        context["subject"] = subject ?? ""
        guard let subject, !subject.isEmpty else { return renderer.render("tracker", context) }
        let trail = try exchange.subjectTrail(subject, viewer: .everything, before: before, limit: Self.pageSize)
        var rows: [[String: Any]] = []
        for event in trail.events {
            for recipient in event.recipients {
                rows.append([
                    "index": String(event.index), "consumer": recipient.department, "time": event.time,
                    "agreement": recipient.agreement, "version": String(recipient.agreementVersion),
                    "purpose": recipient.purpose ?? "—", "topic": event.topic, "provider": event.provider,
                ])
            }
        }
        context["searched"] = true
        context["rows"] = rows
        context["scanLimited"] = false
        if let next = trail.nextBefore {
            var components = URLComponents()
            components.path = "/console/tracker"
            components.queryItems = [URLQueryItem(name: "subject", value: subject), URLQueryItem(name: "before", value: String(next))]
            context["olderHref"] = components.string ?? "/console/tracker"
        }
        return renderer.render("tracker", context)
    }
}
