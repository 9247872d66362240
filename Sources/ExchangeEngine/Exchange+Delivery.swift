public import ExchangeModel
import ExchangeRouting
public import ExchangeStore
import CoreMetrics
import Foundation

extension Exchange {
    /// Delivers up to `max` events of a subscription: redeliveries that are due first, then new
    /// events routed to the owner that match the filter. Fewer are returned when their bytes
    /// reach `delivery.max_batch_bytes` (``EngineConfiguration/maxBatchBytes``): the round stops
    /// taking events there (always taking one), and the rest are handed out by the next pull. Each is re-checked against the
    /// agreement in force now (revoked, suspended or expired agreements withhold it, audited)
    /// and projected to the agreement's fields. Delivered events become pending until acked,
    /// with a deadline of the ack wait (or backoff); past `max_deliver` deliveries an event
    /// moves to the dead-letter list. When nothing is ready, waits up to `wait` for new events.
    /// - Parameters:
    ///   - name: the subscription.
    ///   - owner: the authenticated department; must own the subscription.
    ///   - max: the most events to return; capped by configuration (`maxPullEvents`, and the
    ///     events' bytes by `maxBatchBytes`).
    ///   - wait: how long to wait when nothing is ready (long poll); capped by configuration.
    public func pull(_ name: String, owner: DepartmentID, max: Int, wait: Duration = .zero) async throws(ExchangeError) -> [DeliveredEvent] {
        try await pullReportingGaps(name, owner: owner, max: max, wait: wait).events
    }

    /// Delivers as ``pull(_:owner:max:wait:)`` does and reports what retention removed of the
    /// events the subscription would have been handed (``ExpiredGap``): the spans its position
    /// passed in this pull, in topics its filter matches and an agreement in force lets its
    /// owner receive, and pending events removed before their acknowledgement whose redelivery
    /// came due (withdrawn instead of delivered). Each is reported once, as the position moves
    /// past it; a pull with gaps and no events returns at once rather than wait. A subscription
    /// whose position is past every removal pays nothing for this (``DeliverySnapshot``).
    /// - Parameter resume: ``PulledEvents/resume`` of the subscription's previous pull: when no
    ///   commit routed events to `owner` and no settlement of the subscription came since that
    ///   pull's round, this pull starts by waiting instead of with a round that would find
    ///   nothing. Pass it only to the next pull of the same subscription.
    public func pullReportingGaps(
        _ name: String, owner: DepartmentID, max: Int, wait: Duration = .zero, resume: PullResume? = nil
    ) async throws(ExchangeError) -> PulledEvents {
        let limit = Swift.max(1, Swift.min(max, configuration.maxPullEvents))
        let cap = Duration.milliseconds(Int64(configuration.maxPullWaitMilliseconds))
        let deadline = ContinuousClock.now + Swift.min(wait, cap)
        let newEvents = signal(for: owner)
        // Held for the whole pull: a name that does not exist is found so in the first round's
        // snapshot, and its gate is dropped on the way out.
        let gate = acquireGate(name)
        do {
            let events = try await pullRounds(
                name, owner: owner, limit: limit, deadline: deadline, newEvents: newEvents, settlements: gate.settlements, resume: resume)
            releaseGate(name, found: true)
            return events
        } catch {
            releaseGate(name, found: error.code != .subscriptionNotFound)
            throw error
        }
    }

    private func pullRounds(
        _ name: String, owner: DepartmentID, limit: Int, deadline: ContinuousClock.Instant, newEvents: CommitSignal, settlements: CommitSignal,
        resume: PullResume?
    ) async throws(ExchangeError) -> PulledEvents {
        // Nothing came since the previous pull took everything, and no redelivery is due: its
        // round would find nothing.
        var skipping =
            resume.map {
                $0.settlementsSignal == settlements.identity && $0.newEvents == newEvents.generation
                    && $0.settlements == settlements.generation && ContinuousClock.now < deadline
                    && ($0.nextDue.map { due in due > Self.nanoseconds(Date()) } ?? true)
            } ?? false
        while true {
            let generations: (UInt64, UInt64)
            let nextDue: UInt64?
            let isFull: Bool
            if skipping, let resume {
                skipping = false
                generations = (resume.newEvents, resume.settlements)
                (nextDue, isFull) = (resume.nextDue, false)
                metrics.roundsSkipped.increment()
                roundTally.skipped()
            } else {
                generations = (newEvents.generation, settlements.generation)
                let round = try await deliveryRound(name, owner: owner, max: limit, maxBytes: configuration.maxBatchBytes)
                if !round.events.isEmpty || !round.gaps.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled {
                    let resume =
                        round.caughtUp
                        ? PullResume(newEvents: generations.0, settlements: generations.1, settlementsSignal: settlements.identity, nextDue: round.nextDue)
                        : nil
                    return PulledEvents(events: round.events, expired: round.gaps, resume: resume)
                }
                (nextDue, isFull) = (round.nextDue, round.isFull)
            }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled { return PulledEvents(events: []) }
            var timeout = deadline - now
            if let nextDue {
                let untilDue = Duration.nanoseconds(Int64(clamping: nextDue) - Int64(clamping: Self.nanoseconds(Date())))
                timeout = Swift.min(timeout, Swift.max(untilDue, .milliseconds(1)))
            }
            if isFull {
                // At max_in_flight new events are no use: only a settlement of this
                // subscription (or a redelivery coming due) lets the next round hand out more.
                await CommitSignal.wait(for: [(settlements, generations.1)], timeout: timeout)
            } else {
                await CommitSignal.wait(for: [(newEvents, generations.0), (settlements, generations.1)], timeout: timeout)
            }
        }
    }

    /// What one delivery round decided.
    struct Round {
        /// The events handed out.
        var events: [DeliveredEvent]
        /// The gaps to report.
        var gaps: [ExpiredGap]
        /// The earliest redelivery deadline in the future after the round, the events handed
        /// out included.
        var nextDue: UInt64?
        /// Whether the subscription is at its `max_in_flight`.
        var isFull: Bool
        /// Whether the round took everything it could: it reached the inbox's end and the
        /// subscription is below its `max_in_flight`.
        var caughtUp: Bool
    }

    /// One delivery round under the subscription's lock; returns the events (at most `max`, and
    /// no more once their estimated bytes reach `maxBytes`), the gaps to report, the earliest
    /// redelivery deadline still in the future, and whether the subscription is at its
    /// `max_in_flight`. Everything the round reads comes from one snapshot of the store
    /// (``DeliverySnapshot``).
    private func deliveryRound(_ name: String, owner: DepartmentID, max: Int, maxBytes: Int) async throws(ExchangeError) -> Round {
        liveWork.deliveryStarted()
        defer { liveWork.deliveryEnded() }
        do {
            return try await withGate(name) { gate in
                let (round, update) = try store.withDeliverySnapshot(subscription: name, consumer: owner.rawValue) { snapshot in
                    try planDelivery(name, owner: owner, max: max, maxBytes: maxBytes, from: snapshot)
                }
                let events = round.events
                if events.isEmpty {
                    try await store.apply(update, toSubscription: name)
                } else if !update.isEmpty {
                    // Queued, not awaited: the events go out one fsync sooner; the next holder
                    // of the gate waits for the record (see SubscriptionGate).
                    let record = QueuedRecord()
                    store.apply(update, toSubscription: name) { error in
                        record.finish(error)
                        // The events go out again: wake a pull that skipped its round after this one.
                        if error != nil { gate.settlements.notify() }
                    }
                    gate.recordQueued(record)
                }
                metrics.deliveries.increment(by: events.count)
                metrics.rounds.increment()
                roundTally.ran()
                return round
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Decides a delivery round from one snapshot: the events to hand out, the gaps to report,
    /// the update that records them, the earliest redelivery deadline still in the future, and
    /// whether the subscription is at its `max_in_flight` afterwards.
    ///
    /// The round takes no further event once the events it holds reach `maxBytes`
    /// (``DeliveredEvent/estimatedSize``); it always takes the first. An event not taken is left
    /// as it was: a due redelivery stays due, and the position stops before a new event, so the
    /// next round hands it out, and reports only the gaps below the position.
    private func planDelivery(
        _ name: String, owner: DepartmentID, max: Int, maxBytes: Int, from snapshot: any DeliverySnapshot
    ) throws -> (Round, SubscriptionUpdate) {
        guard let record = snapshot.subscription, record.owner == owner.rawValue else {
            throw ExchangeError.subscriptionNotFound(name)
        }
        guard let filter = filters.pattern(record.filter) else {
            throw ExchangeError(.invalidSubscriptionFilter, "stored filter '\(record.filter)' is invalid")
        }
        let set = agreements.current
        let nowDate = Date()
        let now = Self.nanoseconds(nowDate)
        var update = SubscriptionUpdate()
        var events: [DeliveredEvent] = []
        var gaps: [ExpiredGap] = []
        var nextDue: UInt64?
        // The estimated bytes of `events`; the round is full once they reach `maxBytes`.
        var bytes = 0

        let pending = snapshot.pending
        var inFlight = pending.count
        for delivery in pending {
            guard delivery.deadline <= now else {
                nextDue = Swift.min(nextDue ?? .max, delivery.deadline)
                continue
            }
            guard events.count < max, bytes < maxBytes else { break }
            // Removed by retention while pending: reported instead of redelivered, once.
            if try snapshot.isRemoved(delivery.sequence) {
                update.withdrawn.append(delivery.sequence)
                gaps.append(ExpiredGap(topic: nil, first: delivery.sequence, last: delivery.sequence))
                inFlight -= 1
                continue
            }
            if delivery.deliveries >= record.maxDeliver {
                update.deadLettered.append(
                    (
                        delivery.sequence, delivery.deliveries,
                        AuditEvent(
                            kind: .deadLettered, actor: "exchange",
                            fields: [
                                "subscription": .string(name), "consumer": .string(owner.rawValue),
                                "sequence": .integer(Int64(clamping: delivery.sequence)),
                                "deliveries": .integer(Int64(clamping: delivery.deliveries)),
                            ])
                    ))
                inFlight -= 1
                metrics.deadLetters.increment()
                continue
            }
            let preparation: Preparation
            if let (entry, stored) = try snapshot.inboxEvent(delivery.sequence) {
                preparation = prepare(stored, entry, for: owner, set: set, at: nowDate, count: delivery.deliveries + 1)
            } else {
                preparation = .skip
            }
            switch preparation {
            case .deliver(let event):
                events.append(event)
                bytes &+= event.estimatedSize
                update.deliveries.append(
                    PendingDelivery(sequence: delivery.sequence, deliveries: delivery.deliveries + 1, deadline: Self.deadline(now, plus: Self.delay(record, after: delivery.deliveries &+ 1))))
                metrics.redeliveries.increment()
            case .withhold(let audit):
                update.withdrawn.append(delivery.sequence)
                update.audit.append(audit.withSubscription(name))
                inFlight -= 1
                metrics.withheld.increment()
            case .skip:
                update.withdrawn.append(delivery.sequence)
                inFlight -= 1
            }
        }

        var capacity = Swift.min(max - events.count, Int(record.maxInFlight) - inFlight)
        // Whether the scan reached the inbox's end (rather than the round's capacity).
        var exhausted = false
        if capacity > 0, bytes < maxBytes {
            var position = snapshot.position ?? 1
            let startPosition = position
            scan: while capacity > 0, bytes < maxBytes {
                var entries: [(entry: InboxEntry, event: StoredEvent)] = []
                // The decoded chunk is held until it is planned: it stops once its records reach
                // what the round may still take (after one entry at least), so that a chunk of
                // large events cannot hold more than the cap either.
                let budget = maxBytes - bytes
                var decoded = 0
                try snapshot.scanInbox(from: position, limit: Swift.min(512, capacity * 2 + 16)) { entry, view in
                    entries.append((entry, try view.decode()))
                    decoded &+= view.record.count
                    return decoded < budget
                }
                if entries.isEmpty {
                    exhausted = true
                    break
                }
                for (entry, stored) in entries {
                    // Full: the entry stays above the position, for the next round.
                    guard capacity > 0, bytes < maxBytes else { break scan }
                    position = entry.sequence + 1
                    guard filter.matches(name: stored.envelope.topic) else { continue }
                    switch prepare(stored, entry, for: owner, set: set, at: nowDate, count: 1) {
                    case .deliver(let event):
                        events.append(event)
                        bytes &+= event.estimatedSize
                        update.deliveries.append(PendingDelivery(sequence: entry.sequence, deliveries: 1, deadline: Self.deadline(now, plus: Self.delay(record, after: 1))))
                        capacity -= 1
                        inFlight += 1
                    case .withhold(let audit):
                        update.audit.append(audit.withSubscription(name))
                        metrics.withheld.increment()
                    case .skip:
                        continue
                    }
                }
            }
            // Removals the position passed; at the inbox's end, every removal above it, since an
            // event yet to come has a later sequence.
            let through = exhausted ? UInt64.max : position &- 1
            if through >= startPosition {
                let spans = try snapshot.expiredSpans(from: startPosition, through: through)
                if !spans.isEmpty {
                    let visible = Set(set.receivableTopics(for: owner, at: nowDate).map(\.rawValue))
                    for span in spans where filter.matches(name: span.topic) && visible.contains(span.topic) {
                        gaps.append(ExpiredGap(topic: span.topic, first: span.first, last: span.last))
                    }
                    // Past them all, reported or not, so that none is read again.
                    if exhausted, let last = spans.map(\.last).max(), last < .max { position = Swift.max(position, last + 1) }
                }
            }
            if position != startPosition { update.position = position }
        }
        gaps.sort { ($0.first, $0.last) < ($1.first, $1.last) }
        let isFull = inFlight >= Int(record.maxInFlight)
        // The deadlines of the deliveries this round makes come due too. The scan ran, and
        // reached the inbox's end, only with room left after every due redelivery was taken, so
        // a round that caught up left nothing due behind, unless one of its own deliveries is
        // due at once (a backoff step of 0).
        var dueAtOnce = false
        for delivery in update.deliveries {
            if delivery.deadline > now {
                nextDue = Swift.min(nextDue ?? .max, delivery.deadline)
            } else {
                dueAtOnce = true
            }
        }
        let round = Round(events: events, gaps: gaps, nextDue: nextDue, isFull: isFull, caughtUp: exhausted && !isFull && !dueAtOnce)
        return (round, update)
    }

    /// The redelivery delay after the `count`-th delivery, in nanoseconds.
    static func delay(_ record: SubscriptionRecord, after count: UInt32) -> UInt64 {
        let milliseconds: UInt64
        if record.backoffMilliseconds.isEmpty {
            milliseconds = record.ackWaitMilliseconds
        } else {
            milliseconds = record.backoffMilliseconds[Swift.min(Int(count) - 1, record.backoffMilliseconds.count - 1)]
        }
        // Stored settings are bounded when they are set; a store written before the bounds may
        // hold larger ones, so the bound is applied again here rather than trusted.
        return Swift.min(milliseconds, InputBounds.maxDurationMilliseconds) * 1_000_000
    }

    /// `now` plus `delay` nanoseconds, saturating instead of trapping.
    static func deadline(_ now: UInt64, plus delay: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(delay)
        return overflow ? .max : sum
    }

    enum Preparation {
        case deliver(DeliveredEvent)
        case withhold(AuditEvent)
        case skip
    }

    /// Re-checks an event against the agreement in force and projects its data.
    func prepare(_ stored: StoredEvent, _ entry: InboxEntry, for consumer: DepartmentID, set: AgreementSet, at now: Date, count: UInt32) -> Preparation {
        let route = Route(consumer: consumer, agreementID: entry.agreement, agreementVersion: Int(entry.agreementVersion))
        switch set.recheck(route, envelope: stored.envelope, at: now) {
        case .deliver(let delivery):
            var envelope = stored.envelope
            envelope.data = delivery.data
            return .deliver(
                DeliveredEvent(
                    sequence: stored.sequence, receivedAt: stored.receivedAt, envelope: envelope, agreement: delivery.route.agreementID,
                    agreementVersion: delivery.route.agreementVersion, deliveryCount: count))
        case .withhold(let reason):
            return .withhold(
                AuditEvent(
                    kind: .withheld, actor: "exchange",
                    fields: [
                        "consumer": .string(consumer.rawValue), "sequence": .integer(Int64(clamping: stored.sequence)),
                        "agreement": .string(entry.agreement), "agreement_version": .integer(Int64(clamping: entry.agreementVersion)),
                        "reason": .string(reason.code.rawValue),
                    ]))
        }
    }

    /// Acknowledges delivered events: each pending one is settled and a receipt is audited.
    /// - Returns: for each sequence, whether it was pending.
    public func ack(_ sequences: [UInt64], subscription name: String, owner: DepartmentID) async throws(ExchangeError) -> [Bool] {
        try requireSubscription(name, owner: owner)
        do {
            let settled = try await store.acknowledge(sequences, subscription: name, actor: owner.rawValue)
            metrics.acks.increment(by: settled.filter { $0 }.count)
            // Settled events free in-flight capacity: a pull of this subscription held back by
            // max_in_flight may go on (the department's other subscriptions gain nothing).
            if settled.contains(true) { notifySettlements(of: name) }
            return settled
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Declines delivered events: each pending one is delivered again after `delay`.
    /// - Returns: for each sequence, whether it was pending.
    public func nak(_ sequences: [UInt64], subscription name: String, owner: DepartmentID, delay: Duration = .zero) async throws(ExchangeError) -> [Bool] {
        try requireSubscription(name, owner: owner)
        do {
            return try await withGate(name) { gate in
                let due = Self.deadline(Self.nanoseconds(Date()), plus: Self.nanoseconds(of: delay))
                var update = SubscriptionUpdate()
                var found: [Bool] = []
                for sequence in sequences {
                    if let pending = try store.pendingDelivery(subscription: name, sequence: sequence) {
                        update.deliveries.append(PendingDelivery(sequence: sequence, deliveries: pending.deliveries, deadline: due))
                        found.append(true)
                    } else {
                        found.append(false)
                    }
                }
                try await store.apply(update, toSubscription: name)
                metrics.naks.increment(by: update.deliveries.count)
                gate.settlements.notify()
                return found
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// A non-negative duration in nanoseconds, at most ``InputBounds/maxDurationMilliseconds``.
    static func nanoseconds(of duration: Duration) -> UInt64 {
        let components = duration.components
        guard components.seconds >= 0, components.attoseconds >= 0 else { return 0 }
        let limit = InputBounds.maxDurationMilliseconds * 1_000_000
        guard UInt64(components.seconds) <= limit / 1_000_000_000 else { return limit }
        return Swift.min(limit, UInt64(components.seconds) * 1_000_000_000 + UInt64(components.attoseconds / 1_000_000_000))
    }

    /// Stops redelivering events: each pending one moves to the dead-letter list at once.
    /// - Returns: for each sequence, whether it was pending.
    public func term(_ sequences: [UInt64], subscription name: String, owner: DepartmentID) async throws(ExchangeError) -> [Bool] {
        try requireSubscription(name, owner: owner)
        do {
            return try await withGate(name) { gate in
                var update = SubscriptionUpdate()
                var found: [Bool] = []
                // A number repeated in one request is not pending any more by its repeat, as
                // `ack` answers: it moves once and writes one audit entry.
                var seen = Set<UInt64>()
                for sequence in sequences {
                    if seen.insert(sequence).inserted, let pending = try store.pendingDelivery(subscription: name, sequence: sequence) {
                        update.deadLettered.append(
                            (
                                sequence, pending.deliveries,
                                AuditEvent(
                                    kind: .deadLettered, actor: owner.rawValue,
                                    fields: [
                                        "subscription": .string(name), "sequence": .integer(Int64(clamping: sequence)),
                                        "deliveries": .integer(Int64(clamping: pending.deliveries)), "reason": "terminated",
                                    ])
                            ))
                        found.append(true)
                    } else {
                        found.append(false)
                    }
                }
                try await store.apply(update, toSubscription: name)
                metrics.deadLetters.increment(by: update.deadLettered.count)
                if !update.deadLettered.isEmpty { gate.settlements.notify() }
                return found
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Up to `limit` of the subscription's dead letters after sequence `after`, in sequence order.
    public func deadLetters(
        subscription name: String, owner: DepartmentID, after: UInt64 = 0, limit: Int = .max
    ) throws(ExchangeError) -> [DeadLetter] {
        try requireSubscription(name, owner: owner)
        do {
            return try store.deadLetters(subscription: name, after: after, limit: limit)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Moves dead letters back for delivery, due at once.
    /// - Parameter actor: who the audit entry names; the owner when `nil` (an admin redriving
    ///   from the console names itself).
    /// - Returns: the sequences moved.
    public func redrive(
        _ sequences: [UInt64], subscription name: String, owner: DepartmentID, actor: String? = nil
    ) async throws(ExchangeError) -> [UInt64] {
        try requireSubscription(name, owner: owner)
        do {
            let moved = try await withGate(name) { gate in
                defer { gate.settlements.notify() }
                return try await store.redrive(sequences, subscription: name, actor: actor ?? owner.rawValue)
            }
            return moved
        } catch {
            throw Self.mapped(error)
        }
    }
}

extension Exchange {
    /// Deletes dead letters for good (an operator decided they are not to be delivered).
    /// - Parameter actor: who the audit entry names; the owner when `nil`.
    /// - Returns: the sequences deleted.
    public func discardDeadLetters(
        _ sequences: [UInt64], subscription name: String, owner: DepartmentID, actor: String? = nil
    ) async throws(ExchangeError) -> [UInt64] {
        try requireSubscription(name, owner: owner)
        do {
            return try await withGate(name) { _ in
                try await store.discardDeadLetters(sequences, subscription: name, actor: actor ?? owner.rawValue)
            }
        } catch {
            throw Self.mapped(error)
        }
    }
}

extension AuditEvent {
    func withSubscription(_ name: String) -> AuditEvent {
        var copy = self
        copy.fields["subscription"] = .string(name)
        return copy
    }
}
