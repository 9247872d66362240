import ExchangeModel
import ExchangeStore
import Foundation

/// A fresh data directory for one test, removed by `remove()`.
struct StoreDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "exchange-store-tests-" + UUID().uuidString
    }

    func open(
        initialMapSize: Int = 16 << 20, maxMapSize: Int = 1 << 30, dedupMergeThreshold: Int = 65_536, dedupStepEntries: Int = 1_024,
        indexMergeThreshold: Int = 2048, bookkeepingLinger: Duration? = nil, dedupHorizon: Duration? = nil
    ) throws -> ExchangeStore {
        var configuration = StoreConfiguration(
            directory: path, initialMapSize: initialMapSize, maxMapSize: maxMapSize,
            dedupMergeThreshold: dedupMergeThreshold, dedupStepEntries: dedupStepEntries, indexMergeThreshold: indexMergeThreshold)
        if let bookkeepingLinger { configuration.bookkeepingLinger = bookkeepingLinger }
        configuration.dedupHorizon = dedupHorizon
        return try ExchangeStore(configuration: configuration)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// An event with a recognisable payload.
func sampleEvent(
    id: String, source: String = "market-regulation", topic: String = "licence.business.issued",
    subject: String? = "91310000MA1FL0001X", size: Int = 64
) -> Envelope {
    var data = Array(#"{"licence":""#.utf8) + Array(id.utf8) + Array(#"","pad":""#.utf8)
    data += [UInt8](repeating: UInt8(ascii: "x"), count: max(0, size - data.count - 2))
    data += Array(#""}"#.utf8)
    return Envelope(
        id: id, source: source, type: "licence.issued", topic: topic, subject: subject,
        time: "2026-11-27T08:00:00Z", extensions: ["trace": "t-\(id)"], data: data)
}

let taxRoute = StoredRoute(consumer: "tax-bureau", agreement: "agr-business-licences", agreementVersion: 3)
let portalRoute = StoredRoute(consumer: "service-portal", agreement: "agr-portal-licences", agreementVersion: 1)

extension StoreDirectory {
    /// Opens the store as the behavioural tests see it: through the store contract only. Today
    /// the LMDB store; a second backend is held to the same tests by opening it here.
    func openContract(dedupMergeThreshold: Int = 65_536) throws -> any ExchangeStoreContract {
        try open(dedupMergeThreshold: dedupMergeThreshold)
    }
}

/// Runs `body` with a fresh store through the store contract, then closes and removes it.
func withContractStore(_ body: (any ExchangeStoreContract) async throws -> Void) async throws {
    let directory = StoreDirectory()
    defer { directory.remove() }
    let store = try directory.openContract()
    defer { store.close() }
    try await body(store)
}

/// Reads the behavioural tests make, written with the contract's scans and writes.
extension ExchangeStoreContract {
    /// Up to `limit` events in log order from sequence `from`.
    func events(from sequence: UInt64, limit: Int) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        try scanLog(from: sequence, limit: limit) { view in
            events.append(try view.decode())
            return true
        }
        return events
    }

    /// Up to `limit` events of `topic` in log order from sequence `from`.
    func events(topic: String, from sequence: UInt64, limit: Int) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        try scanTopic(topic, from: sequence, limit: limit) { view in
            events.append(try view.decode())
            return true
        }
        return events
    }

    /// Up to `limit` inbox entries of `consumer` from sequence `from`.
    func inbox(consumer: String, from sequence: UInt64, limit: Int) throws -> [InboxEntry] {
        var entries: [InboxEntry] = []
        try scanInbox(consumer: consumer, from: sequence, limit: limit) { entry, _ in
            entries.append(entry)
            return true
        }
        return entries
    }

    /// Up to `limit` audit entries from index `from`, as their canonical bytes.
    func auditEntries(from index: UInt64, limit: Int) throws -> [[UInt8]] {
        try auditEntryRecords(from: index, limit: limit).map(\.entry)
    }

    /// Makes deliveries pending and moves the position, as a delivery round's record does.
    func recordDeliveries(subscription name: String, _ deliveries: [PendingDelivery], advancingTo position: UInt64?) async throws {
        try await apply(SubscriptionUpdate(deliveries: deliveries, position: position), toSubscription: name)
    }
}
