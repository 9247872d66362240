import Foundation
import Synchronization

/// Decoded subscription definitions, keyed by subscription id and held against the stored
/// bytes they were decoded from.
///
/// Every delivery round and every settlement reads its subscription's definition; decoding its
/// JSON each time cost more than the rest of a small round. A look-up still reads the stored
/// bytes in the caller's transaction and decodes only when they differ from the cached ones,
/// so a reader never sees a definition its snapshot does not hold.
final class SubscriptionRecordCache: Sendable {
    private let entries = Mutex<[UInt32: (bytes: [UInt8], record: SubscriptionRecord)]>([:])

    /// The definition stored as `bytes` for subscription `id`.
    func record(_ id: UInt32, bytes: [UInt8]) throws -> SubscriptionRecord {
        if let cached = entries.withLock({ $0[id] }), cached.bytes == bytes { return cached.record }
        let record = try JSONDecoder().decode(SubscriptionRecord.self, from: Data(bytes))
        entries.withLock { $0[id] = (bytes, record) }
        return record
    }

    /// Drops the definition of a deleted subscription.
    func forget(_ id: UInt32) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
