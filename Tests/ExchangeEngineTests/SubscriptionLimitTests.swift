import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Testing

/// A department holds at most `delivery.max_subscriptions_per_department` subscriptions: one
/// more is refused with its own code and stores nothing; changing one it holds is not refused,
/// and deleting one makes room; other departments are not counted against it.
@Suite struct SubscriptionLimitTests {
    @Test func aDepartmentAtItsLimitIsRefusedANewSubscriptionOnly() async throws {
        var configuration = EngineConfiguration()
        configuration.maxSubscriptionsPerDepartment = 3
        let fixture = try EngineFixture(configuration: configuration)
        defer { fixture.remove() }
        let exchange = fixture.exchange
        for index in 1...3 {
            _ = try await exchange.putSubscription("tax-\(index)", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax)
        }
        await #expect(throws: ExchangeError.self) {
            _ = try await exchange.putSubscription("tax-4", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax)
        }
        do {
            _ = try await exchange.putSubscription("tax-4", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax)
        } catch {
            #expect(error.code == .subscriptionLimit)
            #expect(error.message.contains("delivery.max_subscriptions_per_department: 3"), "\(error.message)")
        }
        #expect(try exchange.subscriptions(owner: EngineFixture.tax).map(\.name).sorted() == ["tax-1", "tax-2", "tax-3"])

        // Changing one it holds is not creating one.
        let changed = try await exchange.putSubscription("tax-2", SubscriptionSpec(filter: "licence.>", maxDeliver: 7), owner: EngineFixture.tax)
        #expect(!changed.created)
        // The same settings again write nothing: no entry says it changed.
        let entries = fixture.store.auditCount
        for _ in 0..<5 {
            _ = try await exchange.putSubscription("tax-2", SubscriptionSpec(filter: "licence.>", maxDeliver: 7), owner: EngineFixture.tax)
        }
        #expect(fixture.store.auditCount == entries)
        // Another department is counted apart.
        _ = try await exchange.putSubscription("portal-1", SubscriptionSpec(filter: "licence.business.issued"), owner: EngineFixture.portal)
        // Deleting one makes room for another.
        try await exchange.deleteSubscription("tax-1", owner: EngineFixture.tax)
        #expect(try await exchange.putSubscription("tax-4", SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax).created)
    }
}
