import LMDB
import Synchronization

extension ExchangeStore {
    /// Runs `body` with a subscription's delivery state and `consumer`'s inbox as of one moment,
    /// all read in one read transaction (see ``DeliverySnapshot``). Keep `body` short and
    /// synchronous: the transaction pins the pages it sees until `body` returns.
    /// - Parameters:
    ///   - name: the subscription.
    ///   - consumer: the department whose inbox the snapshot scans (the subscription's owner).
    ///   - body: reads the snapshot; must keep neither it nor the views it hands out.
    public func withDeliverySnapshot<Result>(
        subscription name: String, consumer: String, _ body: (any DeliverySnapshot) throws -> Result
    ) throws -> Result {
        let tail = indexTail.view
        return try resizeLock.withReadLock {
            guard !isClosed else { throw StoreError(code: .closed, message: "the store is closed") }
            countReadTransaction()
            let snapshot = try StoredDeliverySnapshot(
                store: self, transaction: environment.beginRead(), tail: tail, subscription: name, consumer: consumer)
            return try body(snapshot)
        }
    }
}

/// The LMDB store's ``DeliverySnapshot``: owns one read transaction, ended when the snapshot is
/// released (at the end of ``ExchangeStore/withDeliverySnapshot(subscription:consumer:_:)``).
final class StoredDeliverySnapshot: DeliverySnapshot {
    let subscription: SubscriptionRecord?
    let position: UInt64?
    let pending: [PendingDelivery]
    private let store: ExchangeStore
    private let consumerID: UInt32?
    private let transaction: ReadTransaction
    private let tail: IndexTail.View
    /// The store's ``ExchangeStore/removedThrough``, read after the transaction began: every
    /// removal the transaction sees is at or below it.
    private let removedThrough: UInt64

    init(
        store: ExchangeStore, transaction: consuming ReadTransaction, tail: IndexTail.View, subscription name: String, consumer: String
    ) throws {
        self.store = store
        self.tail = tail
        consumerID = store.names.id(of: consumer, kind: .department)
        if let id = store.names.id(of: name, kind: .subscription) {
            subscription = try store.subscription(id, in: transaction)
            position = try store.position(ofSubscription: id, in: transaction)
            pending = try store.pendingDeliveries(ofSubscription: id, in: transaction)
        } else {
            subscription = nil
            position = nil
            pending = []
        }
        self.transaction = transaction
        removedThrough = store.removedThrough.load(ordering: .sequentiallyConsistent)
    }

    func expiredSpans(from: UInt64, through: UInt64) throws -> [ExpiredSpan] {
        guard from <= removedThrough else { return [] }
        return try store.expiredSpans(from: from, through: through, in: transaction)
    }

    func isRemoved(_ sequence: UInt64) throws -> Bool {
        guard sequence <= removedThrough else { return false }
        return try BigEndianKey.u64(sequence).withUnsafeBytes { key in try transaction.get(store.schema.log, key: key) == nil }
    }

    func inboxEvent(_ sequence: UInt64) throws -> (entry: InboxEntry, event: StoredEvent)? {
        guard let consumerID, let event = try store.event(sequence, in: transaction),
            let entry = try store.inboxEntry(consumerID, sequence: sequence, in: transaction, tail: tail)
        else { return nil }
        return (entry, event)
    }

    @discardableResult
    func scanInbox(from sequence: UInt64, limit: Int, _ body: (InboxEntry, EventView) throws -> Bool) throws -> UInt64 {
        guard let consumerID else { return sequence }
        return try store.scanInbox(consumerID, from: sequence, limit: limit, in: transaction, tail: tail, body)
    }
}
