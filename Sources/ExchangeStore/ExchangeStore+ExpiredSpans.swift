import LMDB
import Synchronization

extension ExchangeStore {
    /// Raises the highest sequence retention removed (``removedThrough``) to `sequence`. Called
    /// by a retention step inside its transaction, before it commits: a reader that sees the
    /// removal sees the mark too (it reads the mark after its transaction began).
    func noteRemoved(through sequence: UInt64) {
        var current = removedThrough.load(ordering: .sequentiallyConsistent)
        while current < sequence {
            let (exchanged, original) = removedThrough.compareExchange(
                expected: current, desired: sequence, ordering: .sequentiallyConsistent)
            if exchanged { return }
            current = original
        }
    }

    /// The highest sequence the `expired` database names, one look-up per topic: what
    /// ``removedThrough`` starts from when the store is opened.
    func highestExpiredSequence() throws -> UInt64 {
        try read { txn in
            try txn.withCursor(schema.expired) { cursor in
                var highest: UInt64 = 0
                var entry = try cursor.first()
                while let current = entry {
                    let topic = current.key.bigEndianUInt32(at: 0)
                    let next = topic < .max ? try cursor.seek(atOrAfter: BigEndianKey.pair(topic + 1, 0)) : nil
                    // The topic's last range: the one before the next topic's first.
                    if let last = try next != nil ? cursor.previous() : cursor.last(), last.key.bigEndianUInt32(at: 0) == topic {
                        highest = max(highest, last.key.bigEndianUInt64(at: 4))
                    }
                    entry = next
                }
                return highest
            }
        }
    }

    /// For each topic of which retention removed events from `from` through `through`, the span
    /// they lie in, clipped to those bounds (``ExpiredSpan``), as `txn` sees it; topic by topic,
    /// three look-ups each, however many ranges lie in between.
    func expiredSpans(from: UInt64, through: UInt64, in txn: borrowing ReadTransaction) throws -> [ExpiredSpan] {
        guard from <= through else { return [] }
        return try txn.withCursor(schema.expired) { cursor in
            var spans: [ExpiredSpan] = []
            var entry = try cursor.first()
            while let current = entry {
                let topic = current.key.bigEndianUInt32(at: 0)
                // The topic's first range that ends at or after `from`.
                if let start = try cursor.seek(atOrAfter: BigEndianKey.pair(topic, from)), start.key.bigEndianUInt32(at: 0) == topic {
                    let first = max(start.value.bigEndianUInt64(at: 0), from)
                    var last = min(start.key.bigEndianUInt64(at: 4), through)
                    if first <= through {
                        // The topic's last range that begins at or before `through`: the one
                        // that spans it, else the last that ends before it.
                        let end = try cursor.seek(atOrAfter: BigEndianKey.pair(topic, through))
                        if let end, end.key.bigEndianUInt32(at: 0) == topic, end.value.bigEndianUInt64(at: 0) <= through {
                            last = through
                        } else if let before = try end == nil ? cursor.last() : cursor.previous(), before.key.bigEndianUInt32(at: 0) == topic {
                            last = max(last, before.key.bigEndianUInt64(at: 4))
                        }
                        if let name = names.name(of: topic, kind: .topic) {
                            spans.append(ExpiredSpan(topic: name, first: first, last: last))
                        }
                    }
                }
                guard topic < .max else { break }
                entry = try cursor.seek(atOrAfter: BigEndianKey.pair(topic + 1, 0))
            }
            return spans
        }
    }
}
