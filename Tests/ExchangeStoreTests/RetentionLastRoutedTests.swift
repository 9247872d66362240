import ExchangeModel
import Testing

@testable import ExchangeStore

/// The register's `last_routed_at` after retention removed an agreement's last event: the time
/// it was routed, not the epoch.
@Suite struct RetentionLastRoutedTests {
    @Test func theLastRoutedTimeOutlivesItsEvent() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open(dedupMergeThreshold: 16, indexMergeThreshold: 8)
        defer { store.close() }
        _ = try await LegalHoldStoreTests.populate(store, count: 12)
        let now = try LegalHoldStoreTests.hourLater(store)
        let before = try store.agreementRoutes()
        #expect(before.count == 2 && before.allSatisfy { $0.lastReceivedAt > 0 }, "\(before)")
        #expect(try await LegalHoldStoreTests.expireAll(store, now: now) == 12)
        // Every event removed: the counts stay, and so do the times of the last ones.
        #expect(try store.agreementRoutes() == before)
    }
}
