import ExchangeEngine
import ExchangeModel
import ExchangeStore

extension ConsolePages {
    /// Where one event stands in a subscription of a department it was routed to.
    enum DeliveryState: String {
        /// The subscription has not reached the event yet.
        case queued
        /// Delivered and awaiting its acknowledgement.
        case delivered
        /// Settled: the audit log has the settlement (acknowledged, withheld, dead-lettered).
        case acknowledged, withheld, deadLettered = "dead_lettered"
        /// The subscription moved past the event and no delivery of it is recorded in the
        /// entries read (e.g. it started after the event, or the settlement lies past the scan).
        case passed
    }

    /// The event's state in each subscription of its routed consumers whose filter covers
    /// `topic`, one row each: department, subscription, state (a message key
    /// `delivery_<state>`), and deliveries so far when pending (`pendingDeliveries`).
    /// - Parameters:
    ///   - settled: the settlement kind recorded in the audit log, by subscription name.
    func deliveryRows(sequence: UInt64, topic: String, consumers: Set<String>, settled: [String: String], messages: [String: String]) throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for subscription in try exchange.store.subscriptions() where consumers.contains(subscription.owner) {
            guard TopicPattern(subscription.filter)?.matches(name: topic) == true else { continue }
            var state = DeliveryState.passed
            var deliveries: String?
            if let kind = settled[subscription.name], let recorded = DeliveryState(rawValue: kind) {
                state = recorded
            } else if let pending = try exchange.store.pendingDelivery(subscription: subscription.name, sequence: sequence) {
                state = .delivered
                deliveries = String(pending.deliveries)
            } else if let position = try exchange.store.position(ofSubscription: subscription.name), position <= sequence {
                state = .queued
            }
            var row: [String: Any] = [
                "department": subscription.owner, "subscription": subscription.name, "state": state.rawValue,
                "stateText": messages["delivery_" + state.rawValue] ?? state.rawValue,
            ]
            if let deliveries { row["pendingDeliveries"] = deliveries }
            rows.append(row)
        }
        return rows.sorted { ($0["department"] as? String ?? "", $0["subscription"] as? String ?? "") < ($1["department"] as? String ?? "", $1["subscription"] as? String ?? "") }
    }
}
