import ExchangeAudit
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation

extension ConsolePages {
    /// The agreements register with a who-shares-with-whom graph drawn on the server (SVG).
    /// A department sees the agreements it provides or receives under. Events routed and the
    /// last routing come from the store's counts per agreement version
    /// (``Exchange/agreementRegister(at:)``, one read whatever the log's size); the version
    /// history from the `in_force` lists of the latest ``maxAgreementChanges``
    /// `agreements_changed` entries, read through the audit log's kind index.
    public func agreements(_ viewer: ConsoleViewer) throws -> String {
        let messages = viewer.language.messages
        var context = viewer.base(title: "agreements_title", current: .agreements)
        let set = exchange.agreements.current
        let own = viewer.session?.principal.department
        let shown = set.agreements.filter { agreement in
            guard let own else { return true }
            return agreement.provider == own || agreement.consumers.contains(own)
        }.sorted { $0.id < $1.id }
        var routed: [String: UInt64] = [:]
        var lastRouted: [String: String] = [:]
        for entry in try exchange.agreementRegister() {
            routed[entry.agreement.id] = entry.routes
            if let last = entry.lastRouted { lastRouted[entry.agreement.id] = RFC3339.format(nanoseconds: last.lastReceivedAt) }
        }
        // Per agreement, the versions in force and the earliest time each was seen in force.
        var since: [String: [Int: String]] = [:]
        var changes = AuditEntryFilter()
        changes.kind = AuditEvent.Kind.agreementsChanged.rawValue
        let page = try exchange.auditPage(changes, before: nil, limit: Self.maxAgreementChanges)
        for record in page.records {
            guard let entry = Self.parse(record), case .array(let inForce)? = entry["in_force"] else { continue }
            for item in inForce {
                // "<id> v<version> <status>"
                let parts = Self.text(item).split(separator: " ")
                guard parts.count >= 2, parts[1].hasPrefix("v"), let version = Int(parts[1].dropFirst()) else { continue }
                since[String(parts[0]), default: [:]][version] = Self.text(entry["time"])
            }
        }
        context["scanLimited"] = page.nextBefore != nil
        context["scanned"] = String(page.read)
        context["agreements"] = shown.map { agreement -> [String: Any] in
            let history = (since[agreement.id] ?? [:]).sorted { $0.key < $1.key }.map { "v\($0.key) \($0.value)" }
            return [
                "routed": routed[agreement.id] ?? 0, "lastRouted": lastRouted[agreement.id] ?? "—",
                "history": history.isEmpty ? "—" : history.joined(separator: "; "),
                "id": agreement.id, "title": agreement.title, "provider": agreement.provider.rawValue,
                "consumers": agreement.consumers.map(\.rawValue).joined(separator: ", "),
                "topics": agreement.topics.map(\.description).joined(separator: ", "),
                "fields": agreement.fields.map { $0.map(\.description).joined(separator: ", ") } ?? (messages["all_fields"] ?? ""),
                "conditions": agreement.match.map(\.description) ?? "—",
                "purpose": agreement.purpose, "legalBasis": agreement.legalBasis,
                "validity": "\(RFC3339Date.text(agreement.validFrom)) – \(agreement.validUntil.map { RFC3339Date.text($0) } ?? "∞")",
                "status": agreement.status.rawValue, "version": agreement.version,
            ]
        }
        context["graph"] = Self.graph(shown, names: Dictionary(set.departments.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first }))
        return renderer.render("agreements", context)
    }

    /// Departments on a circle, one arrow per provider → consumer pair labelled with its agreements.
    static func graph(_ agreements: [Agreement], names: [DepartmentID: String]) -> [String: Any] {
        var departments = Set<DepartmentID>()
        var pairs: [String: (from: DepartmentID, to: DepartmentID, labels: [String])] = [:]
        for agreement in agreements {
            departments.insert(agreement.provider)
            for consumer in agreement.consumers {
                departments.insert(consumer)
                let key = "\(agreement.provider.rawValue)\u{0}\(consumer.rawValue)"
                pairs[key, default: (agreement.provider, consumer, [])].labels.append(agreement.id)
            }
        }
        let ordered = departments.sorted()
        let width = 900.0, height = 440.0, radius = 165.0
        let centre = (x: width / 2, y: height / 2)
        var positions: [DepartmentID: (x: Double, y: Double)] = [:]
        for (offset, id) in ordered.enumerated() {
            let angle = 2 * Double.pi * Double(offset) / Double(max(ordered.count, 1)) - Double.pi / 2
            positions[id] = (centre.x + radius * cos(angle), centre.y + radius * sin(angle))
        }
        let nodes = ordered.map { id -> [String: Any] in
            let point = positions[id]!
            let right = point.x >= centre.x
            return [
                "x": Int(point.x), "y": Int(point.y), "tx": Int(point.x + (right ? 14 : -14)), "ty": Int(point.y + 4),
                "anchor": right ? "start" : "end", "label": id.rawValue, "name": names[id] ?? id.rawValue,
            ]
        }
        let edges = pairs.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) }.map { pair -> [String: Any] in
            let from = positions[pair.from]!, to = positions[pair.to]!
            // Stop short of the target circle so the arrow head shows.
            let dx = to.x - from.x, dy = to.y - from.y
            let length = max((dx * dx + dy * dy).squareRoot(), 1)
            let end = (x: to.x - dx / length * 10, y: to.y - dy / length * 10)
            return [
                "x1": Int(from.x), "y1": Int(from.y), "x2": Int(end.x), "y2": Int(end.y),
                "lx": Int((from.x + to.x) / 2), "ly": Int((from.y + to.y) / 2 - 4), "label": pair.labels.joined(separator: ", "),
            ]
        }
        return ["width": Int(width), "height": Int(height), "nodes": nodes, "edges": edges]
    }
}
