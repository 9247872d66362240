import ExchangeAudit
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation

extension ConsolePages {
    /// The overview: totals, rates from the recent samples, map use, entries since the latest
    /// checkpoint, dead letters, agreements and certificates lapsing within 30 days (certificates
    /// also once expired), and the publish-rate trend.
    public func overview(_ viewer: ConsoleViewer) throws -> String {
        let messages = viewer.language.messages
        var context = viewer.base(title: "overview_title", current: .overview)
        let events = exchange.store.lastSequence
        let audit = exchange.auditCount
        let history = samples.record(events: events, audit: audit, counters: counters())
        func rate(_ value: (ConsoleSamples.Sample) -> Double, from first: ConsoleSamples.Sample, to last: ConsoleSamples.Sample) -> Double {
            let seconds = Double((last.time - first.time).components.seconds) + Double((last.time - first.time).components.attoseconds) / 1e18
            guard seconds > 0, value(last) >= value(first) else { return 0 }
            return (value(last) - value(first)) / seconds
        }
        let window = history.suffix(11)
        func windowRate(_ value: (ConsoleSamples.Sample) -> Double) -> String {
            String(format: "%.1f", window.count > 1 ? rate(value, from: window.first!, to: window.last!) : 0)
        }
        func counter(_ name: ConsoleCounter) -> (ConsoleSamples.Sample) -> Double { { $0.counters[name] ?? 0 } }
        // Mean commit latency over the window: commit seconds over commits, in milliseconds.
        var commitLatency = "—"
        if let first = window.first, let last = window.last, let commits = last.counters[.commits], let seconds = last.counters[.commitSeconds] {
            let count = commits - (first.counters[.commits] ?? 0)
            let spent = seconds - (first.counters[.commitSeconds] ?? 0)
            if count > 0 {
                commitLatency = String(format: "%.2f ms", spent / count * 1000)
            } else if commits > 0 {
                commitLatency = String(format: "%.2f ms", seconds / commits * 1000)
            }
        }
        var deadLetters = 0
        for subscription in try exchange.store.subscriptions() {
            deadLetters += try exchange.store.deadLetterCount(subscription: subscription.name)
        }
        let checkpoint = try exchange.checkpoint(treeSize: nil)
        let checkpointText = checkpoint.map { "\(audit - min(audit, $0.treeSize)) / \($0.treeSize)" } ?? (messages["checkpoint_none"] ?? "")
        context["cards"] = [
            ["id": "events-total", "label": messages["events_total"] ?? "", "value": String(events)],
            ["id": "audit-total", "label": messages["audit_total"] ?? "", "value": String(audit)],
            ["id": "publish-rate", "label": messages["publish_rate"] ?? "", "value": windowRate { Double($0.events) }],
            ["id": "delivery-rate", "label": messages["delivery_rate"] ?? "", "value": windowRate(counter(.deliveries))],
            ["id": "ack-rate", "label": messages["ack_rate"] ?? "", "value": windowRate(counter(.acks))],
            ["id": "commit-latency", "label": messages["commit_latency"] ?? "", "value": commitLatency],
            ["id": "audit-rate", "label": messages["audit_rate"] ?? "", "value": windowRate { Double($0.audit) }],
            ["id": "map-use", "label": messages["map_use"] ?? "", "value": mapUse().map { String(format: "%.1f%%", $0 * 100) } ?? "—"],
            ["id": "checkpoint-lag", "label": messages["checkpoint_lag"] ?? "", "value": checkpointText],
            ["id": "dead-letters", "label": messages["dead_letters_total"] ?? "", "value": String(deadLetters)],
        ] as [[String: Any]]
        // Per-interval publish rates, scaled into a 300 × 60 box.
        var rates: [Double] = []
        for (earlier, later) in zip(history, history.dropFirst()) { rates.append(rate({ Double($0.events) }, from: earlier, to: later)) }
        let peak = max(rates.max() ?? 0, 1)
        let step = rates.count > 1 ? 300.0 / Double(rates.count - 1) : 300
        context["sparkPoints"] = rates.isEmpty
            ? "0,58 300,58"
            : rates.enumerated().map { String(format: "%.1f,%.1f", Double($0.offset) * step, 58 - $0.element / peak * 56) }.joined(separator: " ")
        let now = Date()
        let soon = now.addingTimeInterval(30 * 86_400)
        context["lapsing"] = exchange.agreements.current.agreements
            .filter { agreement in agreement.validUntil.map { $0 >= now && $0 <= soon } ?? false }
            .map { ["id": $0.id, "title": $0.title, "until": RFC3339Date.text($0.validUntil)] }
        context["certificatesLapsing"] = certificates()
            .filter { $0.validity.notValidAfter <= soon }
            .sorted { $0.validity.notValidAfter < $1.validity.notValidAfter }
            .map { ["certificate": $0.certificate, "subject": $0.validity.subject, "until": RFC3339Date.text($0.validity.notValidAfter)] }
        return renderer.render("overview", context)
    }
}

/// Dates as the console shows them: RFC 3339 in UTC to the second.
enum RFC3339Date {
    static func text(_ date: Date?) -> String {
        guard let date else { return "—" }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
