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

    /// Creates the configuration.
    /// - Parameter maxBatchBytes: the bytes of events one delivery round hands out at most.
    public init(maxBatchBytes: Int = EngineConfiguration.defaultMaxBatchBytes) {
        self.maxBatchBytes = maxBatchBytes
    }

    /// The values `delivery.max_batch_bytes` may take: 64 KiB to 256 MiB.
    public static let maxBatchBytesRange = (64 << 10)...(256 << 20)
}
