public import ExchangeEngine

/// How subscriptions are delivered (`delivery.*`): what one delivery round (a pull's answer, a
/// round of a subscription stream) may hold.
public struct DeliveryConfiguration: Sendable, Hashable {
    /// The bytes of events one delivery round hands out at most (`delivery.max_batch_bytes`,
    /// default 4 MiB, from 64 KiB to 256 MiB): a pull's answer, and what a subscription stream
    /// holds in memory, stop taking events once theirs reach this; one event is always taken,
    /// so an event of `limits.max_event_size` still goes out. See
    /// ``ExchangeEngine/EngineConfiguration/maxBatchBytes``.
    public var maxBatchBytes: Int
    /// Subscriptions one department may hold at once
    /// (`delivery.max_subscriptions_per_department`, default 1,000, from 1 to 100,000); a
    /// subscription past it is refused 409 `subscription.limit_reached`. See
    /// ``ExchangeEngine/EngineConfiguration/maxSubscriptionsPerDepartment``.
    public var maxSubscriptionsPerDepartment: Int

    /// Creates the configuration.
    /// - Parameters:
    ///   - maxBatchBytes: the bytes of events one delivery round hands out at most.
    ///   - maxSubscriptionsPerDepartment: subscriptions one department may hold at once.
    public init(maxBatchBytes: Int = EngineConfiguration.defaultMaxBatchBytes, maxSubscriptionsPerDepartment: Int = 1000) {
        self.maxBatchBytes = maxBatchBytes
        self.maxSubscriptionsPerDepartment = maxSubscriptionsPerDepartment
    }

    /// The values `delivery.max_batch_bytes` may take: 64 KiB to 256 MiB.
    public static let maxBatchBytesRange = (64 << 10)...(256 << 20)
}
