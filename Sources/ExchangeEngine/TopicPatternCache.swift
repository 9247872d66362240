import ExchangeModel
import Synchronization

/// The parsed filters of subscriptions, by their stored text: a delivery round reads its
/// subscription's filter as text, and parsing it every round cost more than the round's own
/// matching. Bounded: past ``capacity`` filters the cache starts again empty (filters are a
/// department's subscriptions, at most `delivery.max_subscriptions_per_department` each).
final class TopicPatternCache: Sendable {
    /// Filters held before the cache is emptied.
    static let capacity = 4096

    private let patterns = Mutex<[String: TopicPattern]>([:])

    /// The pattern `text` holds, or `nil` when it is not a valid pattern (not cached).
    func pattern(_ text: String) -> TopicPattern? {
        if let cached = patterns.withLock({ $0[text] }) { return cached }
        guard let pattern = TopicPattern(text) else { return nil }
        patterns.withLock { patterns in
            if patterns.count >= Self.capacity { patterns.removeAll(keepingCapacity: true) }
            patterns[text] = pattern
        }
        return pattern
    }

    /// Filters held.
    var count: Int { patterns.withLock { $0.count } }
}
