import ExchangeAudit
public import ExchangeEngine
import ExchangeIdentity
public import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation

extension ConsolePages {
    /// Most inbox entries counted for one subscription's "waiting" figure.
    static let maxLagCount = 10_000

    /// Departments with their subscriptions: position, events waiting in the inbox from it
    /// (counted up to ``maxLagCount`` each and ``lagCountBudget`` for the page; `N+` is at
    /// least N, `—` not counted), pending acknowledgements and dead letters. Admins get
    /// redrive and discard forms (with a required confirmation) on each subscription with dead letters; a
    /// department sees only its own.
    /// - Parameters:
    ///   - redriven: the count of a redrive just done, to show.
    ///   - discarded: the count of a discard just done, to show.
    public func departments(_ viewer: ConsoleViewer, redriven: Int? = nil, discarded: Int? = nil) throws -> String {
        var context = viewer.base(title: "departments_title", current: .departments)
        let store = exchange.store
        let own = viewer.session?.principal.department
        let canRedrive = viewer.session?.principal.role == .admin
        let subscriptions = try store.subscriptions()
        var departments = exchange.agreements.current.departments.map { ($0.id.rawValue, $0.name) }
        for owner in Set(subscriptions.map(\.owner)) where !departments.contains(where: { $0.0 == owner }) {
            departments.append((owner, owner))
        }
        departments.sort { $0.0 < $1.0 }
        if let own { departments = departments.filter { $0.0 == own.rawValue } }
        var list: [[String: Any]] = []
        // The page counts at most `lagCountBudget` inbox entries in all: a department with
        // thousands of subscriptions cannot make one view read millions of entries.
        var budget = lagCountBudget
        for (id, name) in departments {
            var rows: [[String: Any]] = []
            for subscription in subscriptions where subscription.owner == id {
                let position = try store.position(ofSubscription: subscription.name) ?? 1
                var lag = "—"
                if budget > 0 {
                    let limit = min(Self.maxLagCount, budget)
                    var waiting = 0
                    _ = try store.scanInbox(consumer: id, from: position, limit: limit) { _, _ in
                        waiting += 1
                        return true
                    }
                    budget -= waiting
                    lag = waiting >= limit ? "\(waiting)+" : String(waiting)
                }
                let dead = try store.deadLetterCount(subscription: subscription.name)
                rows.append([
                    "name": subscription.name, "filter": subscription.filter, "position": position,
                    "lag": lag,
                    "pending": try store.pendingDeliveries(subscription: subscription.name).count, "deadLetters": dead,
                    "canRedrive": canRedrive && dead > 0, "owner": id,
                ])
            }
            list.append(["id": id, "name": name, "subscriptions": rows])
        }
        context["departments"] = list
        if let redriven { context["redriven"] = String(redriven) }
        if let discarded { context["discarded"] = String(discarded) }
        return renderer.render("departments", context)
    }

    /// Discards every dead letter of `subscription` of `owner` for good, audited under `actor`.
    /// - Returns: how many were deleted.
    public func discardAll(subscription: String, owner: DepartmentID, actor: String) async throws -> Int {
        let letters = try exchange.deadLetters(subscription: subscription, owner: owner)
        guard !letters.isEmpty else { return 0 }
        return try await exchange.discardDeadLetters(letters.map(\.sequence), subscription: subscription, owner: owner, actor: actor).count
    }

    /// Redrives every dead letter of `subscription` of `owner`, audited under `actor`.
    /// - Returns: how many were moved back for delivery.
    public func redriveAll(subscription: String, owner: DepartmentID, actor: String) async throws -> Int {
        let letters = try exchange.deadLetters(subscription: subscription, owner: owner)
        guard !letters.isEmpty else { return 0 }
        return try await exchange.redrive(letters.map(\.sequence), subscription: subscription, owner: owner, actor: actor).count
    }
}
