public import ExchangeModel
import ExchangeRouting
public import ExchangeStore
import Foundation

extension Exchange {
    /// Creates a durable subscription, or changes the settings of an existing one of the same
    /// owner (its position and pending deliveries are kept). Settings equal to those it has
    /// write nothing and no audit entry.
    ///
    /// The filter must be a valid topic pattern that some active agreement lets the owner
    /// receive (deny by default); a refusal is audited.
    /// - Returns: the subscription, and whether it was created.
    @discardableResult
    public func putSubscription(_ name: String, _ spec: SubscriptionSpec, owner: DepartmentID) async throws(ExchangeError) -> (info: SubscriptionInfo, created: Bool) {
        guard Self.isValidSubscriptionName(name) else {
            throw ExchangeError(.invalidSubscriptionName, "subscription names are 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit; '\(AuditEvent.bounded(name))' is not")
        }
        guard let filter = TopicPattern(spec.filter) else {
            throw ExchangeError(.invalidSubscriptionFilter, "'\(spec.filter)' is not a topic pattern: \(TopicPattern.syntaxError(spec.filter) ?? "invalid")")
        }
        if let violation = spec.boundsViolation {
            throw ExchangeError(.invalidSubscriptionLimits, violation)
        }
        if let unknown = unknownTopicMessage(filter) {
            throw ExchangeError(.unknownTopic, unknown)
        }
        let now = Date()
        do {
            _ = try agreements.current.checkSubscribe(owner, to: filter, at: now)
        } catch {
            if countedEngineRefusal(actor: owner.rawValue, action: "SUBSCRIBE", target: name, code: error.code.rawValue, detail: error.message, denial: true) {
                throw ExchangeError(error, isAudited: true)
            }
            await auditRefusal([
                AuditEvent(
                    kind: .accessDenied, actor: owner.rawValue,
                    fields: ["action": "subscribe", "subscription": .string(name), "filter": .string(spec.filter), "reason": .string(error.code.rawValue)])
            ])
            throw ExchangeError(error, isAudited: true)
        }
        do {
            let existing = try store.subscription(named: name)
            if let existing, existing.owner != owner.rawValue {
                throw ExchangeError(.subscriptionNameTaken, "the subscription name '\(name)' belongs to another department")
            }
            if existing == nil {
                // Checked before the writer: requests of one department that race past it add at
                // most as many as it has connections in flight.
                let held = try store.subscriptions().count { $0.owner == owner.rawValue }
                let limit = configuration.maxSubscriptionsPerDepartment
                guard held < limit else {
                    throw ExchangeError(
                        .subscriptionLimit,
                        "'\(owner.rawValue)' holds \(held) subscriptions, the most it may (delivery.max_subscriptions_per_department: \(limit)); delete one first")
                }
            }
            let record = SubscriptionRecord(
                name: name, owner: owner.rawValue, filter: filter.description, ackWaitMilliseconds: spec.ackWaitMilliseconds,
                backoffMilliseconds: spec.backoffMilliseconds, maxDeliver: spec.maxDeliver, maxInFlight: spec.maxInFlight,
                createdAt: existing?.createdAt ?? Self.nanoseconds(now))
            // The same settings again change nothing (a subscription keeps its position when
            // replaced): nothing is written, and no audit entry says it changed.
            if let existing, existing == record {
                return (try subscriptionInfo(name, owner: owner), false)
            }
            let position: UInt64
            switch spec.start {
            case .all: position = 1
            case .new: position = store.lastSequence + 1
            case .sequence(let sequence): position = max(1, sequence)
            case .time(let time): position = try store.firstSequence(receivedAtOrAfter: time) ?? store.lastSequence + 1
            }
            let created = try await store.putSubscription(record, position: position, actor: owner.rawValue)
            // New settings (a larger max_in_flight) may let a waiting pull go on.
            notifySettlements(of: name)
            return (try subscriptionInfo(name, owner: owner), created)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Whether `name` may name a subscription: 1 to 64 letters, digits, `-`, `_` or `.`,
    /// starting with a letter or digit (so never `.` or `..`, which read as path segments).
    public static func isValidSubscriptionName(_ name: String) -> Bool {
        guard DepartmentID.isValid(name), let first = name.utf8.first else { return false }
        return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
    }

    /// The subscription `name` of `owner`.
    /// - Throws: `subscription.not_found` when it does not exist or belongs to another department.
    public func subscriptionInfo(_ name: String, owner: DepartmentID) throws(ExchangeError) -> SubscriptionInfo {
        do {
            guard let record = try store.subscription(named: name), record.owner == owner.rawValue else {
                throw ExchangeError.subscriptionNotFound(name)
            }
            return SubscriptionInfo(
                record: record, position: try store.position(ofSubscription: name) ?? 1,
                pending: try store.pendingDeliveries(subscription: name).count,
                deadLetters: try store.deadLetterCount(subscription: name))
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Checks that `owner` has a subscription `name`, reading its definition only (what a
    /// settlement needs; ``subscriptionInfo(_:owner:)`` also counts its pending entries and
    /// dead letters).
    /// - Throws: `subscription.not_found` when it does not exist or belongs to another department.
    public func requireSubscription(_ name: String, owner: DepartmentID) throws(ExchangeError) {
        do {
            guard let record = try store.subscription(named: name), record.owner == owner.rawValue else {
                throw ExchangeError.subscriptionNotFound(name)
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// The subscriptions of `owner`.
    public func subscriptions(owner: DepartmentID) throws(ExchangeError) -> [SubscriptionRecord] {
        do {
            return try store.subscriptions().filter { $0.owner == owner.rawValue }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Deletes a subscription of `owner` with its pending deliveries and dead letters. Its gate
    /// is dropped once nobody uses it, as for a name that does not exist, so that creating and
    /// deleting subscriptions under new names cannot grow the gate table.
    public func deleteSubscription(_ name: String, owner: DepartmentID) async throws(ExchangeError) {
        try requireSubscription(name, owner: owner)
        do {
            try await withGate(name, deletes: true) { gate in
                _ = try await store.deleteSubscription(named: name, actor: owner.rawValue)
                // A waiting pull wakes to find the subscription gone.
                gate.settlements.notify()
            }
        } catch {
            throw Self.mapped(error)
        }
    }
}
