import ExchangeAudit
import ExchangeModel
public import ExchangeRouting
public import ExchangeStore
import Foundation
public import Logging
import Synchronization

/// The exchange: publishes events through the agreements into the durable store, delivers them
/// to durable subscriptions, and replays them. The HTTP layer calls it; it knows nothing of HTTP.
///
/// ```swift
/// let exchange = Exchange(store: store, agreements: registry)
/// let outcomes = try await exchange.publish([event], from: marketRegulation)
/// try await exchange.putSubscription("tax-licences", SubscriptionSpec(filter: "licence.>"), owner: taxBureau)
/// let events = try await exchange.pull("tax-licences", owner: taxBureau, max: 100, wait: .seconds(5))
/// ```
public final class Exchange: Sendable {
    /// The durable store, through the store contract.
    public let store: any ExchangeStoreContract
    /// The agreements in force, swapped atomically on reload.
    public let agreements: AgreementRegistry
    /// Limits and defaults.
    public let configuration: EngineConfiguration
    let logger: Logger
    let metrics: ExchangeMetrics
    /// One signal per department with waiting pulls, woken by commits that route events to it.
    /// Settlements wake their own subscription only (`SubscriptionGate.settlements`).
    private let signals = DepartmentSignals()
    /// Delivery rounds run and skipped since start (as `exchange_delivery_rounds_total`).
    let roundTally = RoundTally()
    /// Subscriptions' filters, parsed once.
    let filters = TopicPatternCache()
    /// Seals registry page cursors: they hold index keys of entries the caller may not see.
    let cursorSealer = TokenSealer()
    /// Refusals of anonymous requests, counted until the next flush.
    public let anonymousRefusals: AnonymousRefusals
    /// Refusals answered 503 to an identified principal (bulk reads refused for the budget),
    /// counted per actor until the next flush, with the same interval and bounds.
    public let busyRefusals: AnonymousRefusals
    /// Refusals of an expired bearer token (`auth.token_expired`), which its holder may cause
    /// as often as it sends it, counted per token name until the next flush likewise.
    public let expiredTokenRefusals: AnonymousRefusals
    /// Every other refusal of an identified caller beyond the first few of its principal in an
    /// interval (`audit.principal_refusals`), counted per principal until the next
    /// ``flushPrincipalRefusals()``.
    public let principalRefusals: AnonymousRefusals
    private let gates = Mutex<[String: GateEntry]>([:])
    /// Delivery rounds running and the writer's backlog: what bulk reads yield to.
    let liveWork: LiveWork
    /// How many bulk reads may stream at once, and how they yield (`bulk_reads.*`).
    public let bulkReads: BulkReadBudget
    /// How fast each principal's answered reads may write audit entries (`audit.read_limit.*`).
    public let readLimit: ReadRateLimit
    /// Held while a hot backup is taken and sent: one at a time (``backup(actor:)``).
    let backupSlot = BackupSlot()
    /// The agreements' standings as last checked, and their metrics.
    public let agreementWatch: AgreementWatch
    private let observerToken: UInt64

    /// Creates the engine over an open store and an agreement registry.
    /// - Parameters:
    ///   - store: the durable store; the engine does not close it.
    ///   - agreements: the agreements in force.
    ///   - configuration: limits and defaults.
    ///   - logger: where the engine logs (info and below).
    public init(
        store: any ExchangeStoreContract, agreements: AgreementRegistry, configuration: EngineConfiguration = .init(),
        logger: Logger = Logger(label: "exchange.engine")
    ) {
        self.store = store
        self.agreements = agreements
        self.configuration = configuration
        self.logger = logger
        self.metrics = ExchangeMetrics()
        self.anonymousRefusals = AnonymousRefusals(configuration: configuration.anonymousRefusals)
        self.busyRefusals = AnonymousRefusals(configuration: configuration.anonymousRefusals, key: .actor)
        self.expiredTokenRefusals = AnonymousRefusals(configuration: configuration.anonymousRefusals, key: .actor)
        self.principalRefusals = AnonymousRefusals(principals: configuration.principalRefusals)
        let liveWork = LiveWork(writerBacklog: { [store] in store.writerBacklog })
        self.liveWork = liveWork
        self.bulkReads = BulkReadBudget(configuration: configuration.bulkReads, isBusy: { liveWork.isWaiting })
        self.agreementWatch = AgreementWatch(configuration: configuration.agreementWatch)
        self.readLimit = ReadRateLimit(configuration: configuration.readLimit)
        // Wake only the pulls of departments that got new inbox entries; settlements wake only
        // their own subscription's pulls (`SubscriptionGate.settlements`).
        let signals = self.signals
        self.observerToken = store.addCommitObserver { commit in
            if !commit.routedConsumers.isEmpty { signals.notify(commit.routedConsumers) }
        }
    }

    deinit {
        store.removeCommitObserver(observerToken)
    }

    /// The signal that wakes `department`'s waiting pulls.
    func signal(for department: DepartmentID) -> CommitSignal {
        signals.signal(for: department.rawValue)
    }

    /// Wakes the pulls waiting on the subscription's gate (a settlement or new settings may let
    /// them go on). Makes no gate: a pull waits holding its gate, so where there is none nobody
    /// waits, and a subscription deleted meanwhile leaves nothing behind.
    func notifySettlements(of subscription: String) {
        let gate = gates.withLock { $0[subscription]?.gate }
        gate?.settlements.notify()
    }

    /// Runs `body` holding the subscription's gate (see ``SubscriptionGate``). When `body`
    /// finds no such subscription (throws ``ExchangeError/Code/subscriptionNotFound``), or
    /// `deletes` it, the gate is dropped unless someone else uses it (``acquireGate(_:)``).
    func withGate<Result: Sendable>(
        _ subscription: String, deletes: Bool = false, _ body: (SubscriptionGate) async throws -> Result
    ) async rethrows -> Result {
        let gate = acquireGate(subscription)
        do {
            let result = try await gate.withLock(logger: logger) { try await body(gate) }
            releaseGate(subscription, found: !deletes)
            return result
        } catch {
            releaseGate(subscription, found: (error as? ExchangeError)?.code != .subscriptionNotFound)
            throw error
        }
    }

    /// The subscription's gate, counted as in use until ``releaseGate(_:found:)``. A gate is
    /// kept while in use; once nobody uses it, a gate whose user found no such subscription is
    /// dropped, so that requests naming subscriptions that do not exist (a pull of a made-up
    /// name) leave nothing behind and distinct unknown names cannot grow the table. The
    /// existence check is the one each round makes in its own snapshot: no read is added.
    func acquireGate(_ subscription: String) -> SubscriptionGate {
        gates.withLock { gates in
            var entry = gates[subscription] ?? GateEntry(gate: SubscriptionGate())
            entry.users += 1
            gates[subscription] = entry
            return entry.gate
        }
    }

    /// Ends a use of ``acquireGate(_:)``; `found` says whether the subscription was found.
    func releaseGate(_ subscription: String, found: Bool) {
        gates.withLock { gates in
            guard var entry = gates[subscription] else { return }
            entry.users -= 1
            // A gate with a delivery record outstanding stays: the next round must wait for it.
            if !found, entry.users == 0, !entry.gate.hasQueuedRecord {
                gates[subscription] = nil
            } else {
                gates[subscription] = entry
            }
        }
    }

    /// Subscription gates held in memory (one per existing subscription used since start, none
    /// for names that do not exist or were deleted).
    public var subscriptionGateCount: Int { gates.withLock { $0.count } }

    /// Nanoseconds since the Unix epoch of `date`.
    static func nanoseconds(_ date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970) * 1_000_000_000)
    }

    /// Maps a store failure to an engine error.
    static func mapped(_ error: any Error) -> ExchangeError {
        if let error = error as? ExchangeError { return error }
        if let error = error as? StoreError { return ExchangeError(error) }
        return ExchangeError(.internalFailure, String(describing: error))
    }

    /// Writes refusal entries to the audit log; a failure to do so is logged, not thrown, so
    /// that the caller still gets the refusal.
    func auditRefusal(_ events: [AuditEvent]) async {
        await auditLoggingFailure(events, purpose: "a refusal", priority: .reads)
    }
}

/// A subscription's gate and how many callers use it now.
struct GateEntry {
    let gate: SubscriptionGate
    var users = 0
}

/// Delivery rounds run and left out since the engine started, beside their metric.
final class RoundTally: Sendable {
    private let counts = Atomic<Int>(0)
    private let skips = Atomic<Int>(0)

    func ran() { counts.add(1, ordering: .relaxed) }
    func skipped() { skips.add(1, ordering: .relaxed) }
    /// Rounds run and rounds skipped.
    var values: (run: Int, skipped: Int) { (counts.load(ordering: .relaxed), skips.load(ordering: .relaxed)) }
}
