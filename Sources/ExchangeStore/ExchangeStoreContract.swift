public import ExchangeAudit
public import ExchangeModel

/// What the exchange needs from its storage: the event log with its routes, durable
/// subscriptions, the audit log with its Merkle proofs and checkpoints, and the registry. The
/// engine (`Exchange`, `CheckpointIssuer`) and the audit routes use a store only through this
/// protocol; ``ExchangeStore`` (LMDB) implements it, and the store's behavioural tests run
/// against it, so that another backend can be held to the same suite.
///
/// Every implementation guarantees:
/// - **Durable before return.** A write (`append`, `appendAudit`, the subscription operations,
///   `saveCheckpoint`) returns, or calls its completion, only after it is durable: for LMDB,
///   after `mdb_txn_commit` returned with fsync. Nothing is acknowledged that a crash could lose.
/// - **All or nothing.** A write's parts (an event, its inbox entries, deduplication entry,
///   `published` audit entry and registry change; a delivery round's record and its audit
///   entries) commit together or not at all. A write that fails leaves nothing behind; a write
///   refused for its own content (an invalid key, an unknown subscription) never fails another
///   caller's write in the same batch. A failure of the store itself (full, an I/O error) fails
///   every write of the batch it hit, none of which is then acknowledged.
/// - **One writer, one order.** Writes are applied one after another in the order they were
///   submitted; event sequences and audit indexes grow by one with no gaps; completions and
///   commit observers run in commit order. An operation submitted after another's completion
///   ran sees its effect.
/// - **Snapshot reads.** Each read method, and each call to a scan's body, sees one committed
///   state: never part of a write. ``withDeliverySnapshot(subscription:consumer:_:)`` extends
///   this to everything one delivery round reads. Reads do not wait for the writer's
///   transactions, only for a growth of the map (rare; LMDB cannot resize under readers); a
///   read's body, the delivery snapshot's included, must not call the store again.
/// - **Idempotent appends.** A publisher (`source`) and message id append once, however late the
///   repeat: an exact repeat (same data bytes, topic, type, subject) returns the first sequence
///   with `isDuplicate` set; one with other content throws ``AppendConflict`` naming the first
///   sequence and stores nothing; a repeat whose first record is no longer stored is a
///   duplicate, unchecked.
///
/// Errors are `StoreError` (and ``AppendConflict`` for a conflicting repeat): `store.closed`
/// after the store was closed, `store.full` when it ran out of room (nothing written; appends
/// are refused first, below the maximum, so that bookkeeping still fits), `store.not_found` for an unknown subscription,
/// `store.invalid_request` for a tree size or registry position that does not exist.
public protocol ExchangeStoreContract: AnyObject, Sendable {
    /// Applies every write already submitted, then closes the store: later writes fail with
    /// `store.closed`. Safe to call more than once.
    func close()

    // MARK: The event log

    /// The sequence of the last committed event; 0 when the log is empty.
    var lastSequence: UInt64 { get }

    /// Appends one event with its routes durably (see ``ExchangeStore/append(_:)``).
    func append(_ request: AppendRequest) async throws -> AppendResult

    /// Appends several events atomically, all or none; one result per request, in order.
    func append(contentsOf requests: [AppendRequest]) async throws -> [AppendResult]

    /// Submits events to append atomically and returns at once; `completion` gets the results
    /// after the commit, in commit order. It must return quickly and never wait for the store.
    func append(contentsOf requests: [AppendRequest], completion: @escaping @Sendable (Result<[AppendResult], any Error>) -> Void)

    /// The event stored under `sequence`, or `nil`.
    func event(_ sequence: UInt64) throws -> StoredEvent?

    // MARK: Retention

    /// Removes up to `budget` expired events of the topics `rules` name (see
    /// ``ExchangeStore/expire(_:now:budget:)``); the evidence stays.
    func expire(_ rules: [RetentionRule], now: UInt64, budget: Int, flushing: Bool) async throws -> RetentionReport

    /// The oldest events of `rule`'s topic a retention step at `now` would remove, at most
    /// `limit` (see ``ExchangeStore/expiringEvents(_:now:limit:)``): what the archive writes.
    func expiringEvents(_ rule: RetentionRule, now: UInt64, limit: Int) throws -> [ExpiringEvent]

    /// Per topic, the last sequence retention removed through.
    func expiredThrough() throws -> [String: UInt64]

    /// The legal holds that stand, oldest first.
    func legalHolds() throws -> [LegalHold]

    /// Sets a legal hold and writes its audit entry in one transaction (see
    /// ``ExchangeStore/setLegalHold(scope:value:reason:setBy:now:audit:)``).
    func setLegalHold(
        scope: LegalHold.Scope, value: String, reason: String, setBy: String, now: UInt64, audit: @escaping @Sendable (LegalHold) -> AuditEvent
    ) async throws -> LegalHoldOutcome

    /// Lifts a legal hold and writes its audit entry in one transaction; `nil` when none of
    /// that number stands.
    func liftLegalHold(id: UInt64, audit: @escaping @Sendable (LegalHold) -> AuditEvent) async throws -> LegalHold?

    /// The range that removed event `sequence` of `topic`, or `nil` when retention did not.
    func expiredRange(topic: String, containing sequence: UInt64) throws -> ExpiredRange?

    /// Visits up to `limit` events in log order from sequence `from`; `body` returns `false` to
    /// stop. Returns the sequence after the last event visited.
    @discardableResult
    func scanLog(from sequence: UInt64, limit: Int, _ body: (EventView) throws -> Bool) throws -> UInt64

    /// Visits up to `limit` events of `topic` in log order from sequence `from`. Returns the
    /// sequence after the last event visited.
    @discardableResult
    func scanTopic(_ topic: String, from sequence: UInt64, limit: Int, _ body: (EventView) throws -> Bool) throws -> UInt64

    /// The routes each agreement version has made and the last event it routed, ordered by
    /// agreement and version (see ``AgreementRouteCount``).
    func agreementRoutes() throws -> [AgreementRouteCount]

    /// Visits up to `limit` inbox entries of `consumer` from sequence `from`, each with its
    /// event. Returns the sequence after the last entry visited.
    @discardableResult
    func scanInbox(consumer: String, from sequence: UInt64, limit: Int, _ body: (InboxEntry, EventView) throws -> Bool) throws -> UInt64

    /// The first sequence received at or after `time` (ns since the Unix epoch), or `nil` when
    /// every event is older.
    func firstSequence(receivedAtOrAfter time: UInt64) throws -> UInt64?

    /// The name of every topic the log holds an event of.
    func topicNames() -> [String]

    /// Operations queued for the writer or being applied by it; 0 when it is idle. Bulk reads
    /// yield while it is not (the engine's `BulkReadBudget`).
    var writerBacklog: Int { get }

    /// Registers `observer`, called after every commit, in commit order, after the commit's own
    /// operations were answered. Returns a token for ``removeCommitObserver(_:)``.
    func addCommitObserver(_ observer: @escaping @Sendable (StoreCommit) -> Void) -> UInt64

    /// Removes an observer registered with ``addCommitObserver(_:)``.
    func removeCommitObserver(_ token: UInt64)

    // MARK: Subscriptions

    /// Creates or replaces a subscription; a new (or reset) one starts at `position` with no
    /// pending deliveries. Audited. Returns `true` when it was created.
    @discardableResult
    func putSubscription(_ record: SubscriptionRecord, position: UInt64, resetPosition: Bool, actor: String) async throws -> Bool

    /// Deletes a subscription with its position, pending deliveries and dead letters. Audited.
    /// Returns `false` when there was none.
    @discardableResult
    func deleteSubscription(named name: String, actor: String) async throws -> Bool

    /// The subscription named `name`, or `nil`.
    func subscription(named name: String) throws -> SubscriptionRecord?

    /// Every subscription, in creation order.
    func subscriptions() throws -> [SubscriptionRecord]

    /// The next sequence the subscription will consider, or `nil` for an unknown subscription.
    func position(ofSubscription name: String) throws -> UInt64?

    /// The pending delivery of `sequence`, or `nil`.
    func pendingDelivery(subscription name: String, sequence: UInt64) throws -> PendingDelivery?

    /// Up to `limit` pending deliveries of the subscription, in sequence order.
    func pendingDeliveries(subscription name: String, limit: Int) throws -> [PendingDelivery]

    /// Up to `limit` of the subscription's dead letters after sequence `after`, in sequence order.
    func deadLetters(subscription name: String, after: UInt64, limit: Int) throws -> [DeadLetter]

    /// How many dead letters the subscription holds, counted without copying them.
    func deadLetterCount(subscription name: String) throws -> Int

    /// Runs `body` with everything one delivery round reads, from one snapshot (see
    /// ``DeliverySnapshot``). `body` is synchronous and must keep nothing it was handed.
    func withDeliverySnapshot<Result>(
        subscription name: String, consumer: String, _ body: (any DeliverySnapshot) throws -> Result
    ) throws -> Result

    /// Applies one delivery round's change in one write. Throws `store.not_found` for an
    /// unknown subscription.
    func apply(_ update: SubscriptionUpdate, toSubscription name: String) async throws

    /// Submits one delivery round's change and returns at once; `completion` runs after the
    /// commit (`nil`) or with the error, in commit order. Writes submitted later apply after it.
    func apply(_ update: SubscriptionUpdate, toSubscription name: String, completion: @escaping @Sendable ((any Error)?) -> Void)

    /// Settles pending events, writing an `acknowledged` receipt for each in the same write.
    /// Returns, per sequence, whether it was pending.
    func acknowledge(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [Bool]

    /// Moves dead letters back to pending, due at once. Audited. Returns the sequences moved.
    func redrive(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [UInt64]

    /// Deletes dead letters for good. Audited. Returns the sequences deleted.
    func discardDeadLetters(_ sequences: [UInt64], subscription name: String, actor: String) async throws -> [UInt64]

    // MARK: Backup

    /// Writes a consistent, compacted copy of the store while it runs (a hot backup); blocks
    /// the calling thread for as long as the copy takes. Remove the copy once sent.
    func writeBackupCopy() throws -> BackupCopy

    // MARK: The audit log

    /// The hash function of the audit log's Merkle tree, fixed when the store was created.
    var auditHash: HashAlgorithm { get }

    /// The number of committed audit entries.
    var auditCount: UInt64 { get }

    /// Appends audit entries durably, in order; returns their indexes. When the store is full,
    /// `priority` says how far into the publish reserve they may go (``AuditPriority``).
    func appendAudit(_ events: [AuditEvent], priority: AuditPriority) async throws -> [UInt64]

    /// Up to `limit` audit entries from index `from`, with the leaf hashes stored for them.
    func auditEntryRecords(from index: UInt64, limit: Int) throws -> [AuditEntryRecord]

    /// Up to `limit` entries naming `key` (``AuditFilterKey``), newest first, below index
    /// `before` (the log's end when `nil`), read through the filter index: the work grows with
    /// the page, not the log. A long value is indexed by its digest: check each entry.
    func auditEntryRecords(matching key: AuditFilterKey, before: UInt64?, limit: Int) throws -> [AuditEntryRecord]

    /// Up to `limit` entries naming `key`, oldest first, from index `from` on.
    func auditEntryRecords(matching key: AuditFilterKey, from: UInt64, limit: Int) throws -> [AuditEntryRecord]

    /// The root hash of the audit tree at `treeSize` entries (RFC 9162 §2.1.1).
    func auditRoot(treeSize: UInt64) throws -> Digest

    /// The inclusion proof of entry `index` in the tree of `treeSize` entries (RFC 9162 §2.1.3).
    func auditInclusionProof(index: UInt64, treeSize: UInt64) throws -> [Digest]

    /// The consistency proof between tree sizes `first` and `second` (RFC 9162 §2.1.4).
    func auditConsistencyProof(first: UInt64, second: UInt64) throws -> [Digest]

    // MARK: Checkpoints

    /// Keeps a signed checkpoint durably, keyed by its tree size. Returns `false` when one of
    /// that size is already kept (the first stays).
    @discardableResult
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws -> Bool

    /// The checkpoint of the largest tree size, or `nil`.
    func latestCheckpoint() throws -> StoredCheckpoint?

    /// The checkpoint of exactly `treeSize`, or `nil`.
    func checkpoint(treeSize: UInt64) throws -> StoredCheckpoint?

    /// Up to `limit` checkpoints of tree size `from` or more, smallest first.
    func checkpoints(from treeSize: UInt64, limit: Int) throws -> [StoredCheckpoint]

    // MARK: The registry

    /// The entry of `key` in `collection` with its current data event and, when `history` is
    /// given, that part of its history (items whose events were removed marked), in one
    /// snapshot; `nil` when there is no such entry. Reads at most `history.limit` history items
    /// whatever the history's length.
    func registryEntry(collection: String, key: String, history: RegistryHistoryRange?) throws -> RegistryRecord?

    /// Visits a range of a collection in key (or index) order in one snapshot; positions are
    /// keys, so a scan continued with `after` neither repeats nor skips entries.
    @discardableResult
    func registryScan(_ scan: RegistryScan, _ body: (RegistryRecord) throws -> Bool) throws -> RegistryScanResult
}

extension ExchangeStoreContract {
    /// The entry of `key` in `collection` with its current data event, without its history.
    public func registryEntry(collection: String, key: String) throws -> RegistryRecord? {
        try registryEntry(collection: collection, key: key, history: nil)
    }

    /// Creates or replaces a subscription without resetting an existing one's position.
    @discardableResult
    public func putSubscription(_ record: SubscriptionRecord, position: UInt64, actor: String) async throws -> Bool {
        try await putSubscription(record, position: position, resetPosition: false, actor: actor)
    }

    /// Every pending delivery of the subscription, in sequence order.
    public func pendingDeliveries(subscription name: String) throws -> [PendingDelivery] {
        try pendingDeliveries(subscription: name, limit: .max)
    }
}

extension ExchangeStore: ExchangeStoreContract {
    /// The hash function of the audit log's Merkle tree.
    public var auditHash: HashAlgorithm { configuration.auditHash }
}

extension ExchangeStoreContract {
    /// Appends audit entries durably, in order, with ``AuditPriority/essential``; returns their
    /// indexes.
    public func appendAudit(_ events: [AuditEvent]) async throws -> [UInt64] {
        try await appendAudit(events, priority: .essential)
    }
}
