/// How far the store's map may grow, and where publishing stops below it.
///
/// Publishes are refused with `store.full` once the data in the map (its high-water mark less
/// the pages on LMDB's free list) reaches ``publishLimit``; the ``publishReserve`` above it is
/// kept for the writes that keep the exchange working when it is full: acknowledgements and
/// their receipts, delivery records, subscription changes, audit entries and checkpoints.
/// They fail with `store.full` only at ``maxMapSize`` itself, except the audit entries of reads
/// and refusals (``AuditPriority/reads``), which anyone may cause: they may fill only the first
/// half of the reserve (up to ``readsLimit``), so that reads cannot use up what acknowledgements
/// and checkpoints need. Set when the store opens and by
/// ``ExchangeStore/setMapLimits(_:)`` (a configuration reload).
public struct StoreMapLimits: Sendable, Equatable, CustomStringConvertible {
    /// The largest the map may grow to, in bytes (`store.max_map_size`).
    public var maxMapSize: Int
    /// The bytes below ``maxMapSize`` that only non-publish writes may use
    /// (`store.publish_reserve`).
    public var publishReserve: Int

    /// Creates limits; the reserve is kept below half the maximum.
    /// - Parameters:
    ///   - maxMapSize: the map's maximum size in bytes.
    ///   - publishReserve: the bytes kept from publishes; `nil` for the default,
    ///     ``defaultPublishReserve(maxMapSize:)``.
    public init(maxMapSize: Int, publishReserve: Int? = nil) {
        self.maxMapSize = max(0, maxMapSize)
        self.publishReserve = min(max(0, publishReserve ?? Self.defaultPublishReserve(maxMapSize: maxMapSize)), self.maxMapSize / 2)
    }

    /// The default reserve: an eighth of the maximum, at most 1 GiB (64 GiB → 1 GiB, 16 MiB → 2 MiB).
    public static func defaultPublishReserve(maxMapSize: Int) -> Int {
        min(1 << 30, max(0, maxMapSize) / 8)
    }

    /// The bytes of data in the map at which publishes are refused.
    public var publishLimit: Int { maxMapSize - publishReserve }

    /// The bytes of data in the map at which the audit entries of reads and refusals
    /// (``AuditPriority/reads``) are refused: half-way into the reserve.
    public var readsLimit: Int { publishLimit + publishReserve / 2 }

    public var description: String {
        "max_map_size \(maxMapSize >> 20) MiB, publishes refused from \(publishLimit >> 20) MiB"
    }
}
