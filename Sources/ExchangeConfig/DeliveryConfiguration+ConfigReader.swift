extension DeliveryConfiguration {
    /// The keys of the `delivery` section.
    static let keys: Set<String> = ["delivery.max_batch_bytes", "delivery.max_subscriptions_per_department"]

    /// Reads the `delivery` section:
    /// - `delivery.max_batch_bytes`: the bytes of events one delivery round (a pull's answer, a
    ///   round of a subscription stream) holds at most, a size from 64KiB to 256MiB (default
    ///   4MiB); at least one event is always handed out;
    /// - `delivery.max_subscriptions_per_department`: subscriptions one department may hold at
    ///   once, 1 to 100000 (default 1000).
    init(reader: ConfigReader) throws {
        let defaults = Self()
        let bytes = try reader.size("delivery.max_batch_bytes")
        if let bytes, !Self.maxBatchBytesRange.contains(bytes) {
            throw reader.problem(
                "delivery.max_batch_bytes",
                "must be from 64KiB to 256MiB: it bounds the memory one pull or one subscription stream holds")
        }
        self.init(
            maxBatchBytes: bytes ?? defaults.maxBatchBytes,
            maxSubscriptionsPerDepartment: try reader.integer("delivery.max_subscriptions_per_department", in: 1...100_000)
                ?? defaults.maxSubscriptionsPerDepartment)
    }
}
