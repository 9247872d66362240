import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing

/// The routes counted per agreement version: before and after the index tail's merge, after a
/// reopen, and counted from the inboxes for a store that has no counts yet.
@Suite struct AgreementRouteCountTests {
    static let taxV4 = StoredRoute(consumer: "tax-bureau", agreement: "agr-business-licences", agreementVersion: 4)

    /// Appends events routed by known agreements: 5 by v3 (tax), 2 of them also by the portal's
    /// agreement, then 3 by v4 (tax). Returns the sequences of the last event of each version.
    static func appendRouted(_ store: ExchangeStore) async throws -> (v3: UInt64, portal: UInt64, v4: UInt64) {
        var last = (v3: UInt64(0), portal: UInt64(0), v4: UInt64(0))
        for index in 0..<5 {
            let routes = index < 2 ? [taxRoute, portalRoute] : [taxRoute]
            let result = try await store.append(AppendRequest(envelope: sampleEvent(id: "v3-\(index)"), routes: routes))
            last.v3 = result.sequence
            if index < 2 { last.portal = result.sequence }
        }
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "unrouted")))
        for index in 0..<3 {
            last.v4 = try await store.append(AppendRequest(envelope: sampleEvent(id: "v4-\(index)"), routes: [Self.taxV4])).sequence
        }
        return last
    }

    static func expect(_ counts: [AgreementRouteCount], _ last: (v3: UInt64, portal: UInt64, v4: UInt64), store: ExchangeStore) throws {
        #expect(counts.map { "\($0.agreement) v\($0.version) \($0.routes) \($0.lastSequence)" } == [
            "agr-business-licences v3 5 \(last.v3)",
            "agr-business-licences v4 3 \(last.v4)",
            "agr-portal-licences v1 2 \(last.portal)",
        ])
        for count in counts {
            #expect(count.lastReceivedAt == (try store.event(count.lastSequence))?.receivedAt)
        }
    }

    @Test(arguments: [2, 2048])
    func routesAreCountedPerAgreementVersion(mergeThreshold: Int) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: mergeThreshold)
        #expect(try store.agreementRoutes().isEmpty)
        let last = try await Self.appendRouted(store)
        try Self.expect(try store.agreementRoutes(), last, store: store)
        store.close()
        let reopened = try directory.open(indexMergeThreshold: mergeThreshold)
        defer { reopened.close() }
        try Self.expect(try reopened.agreementRoutes(), last, store: reopened)
    }

    @Test func aStoreWithoutCountsIsCountedFromItsInboxesOnce() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(indexMergeThreshold: 2)
        let last = try await Self.appendRouted(store)
        store.close()
        // As a store written before the counts: no counts, no mark that they were taken.
        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        try environment.write { txn in
            let meta = try txn.openDatabase("meta")
            var keys: [[UInt8]] = []
            try txn.withCursor(meta) { cursor in
                var entry = try cursor.first()
                while let current = entry {
                    let key = Array(current.key)
                    if key.starts(with: Array("agreement_routes".utf8)) { keys.append(key) }
                    entry = try cursor.next()
                }
            }
            #expect(keys.count == 4)
            for key in keys { _ = try txn.delete(meta, key: key) }
        }
        environment.close()
        let reopened = try directory.open(indexMergeThreshold: 2)
        try Self.expect(try reopened.agreementRoutes(), last, store: reopened)
        reopened.close()
        let again = try directory.open(indexMergeThreshold: 2)
        defer { again.close() }
        try Self.expect(try again.agreementRoutes(), last, store: again)
    }
}
