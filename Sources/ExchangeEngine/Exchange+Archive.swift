public import ExchangeStore

extension Exchange {
    /// Archives the expired events of the archiving topics among `rules` and returns the rules
    /// with ``RetentionRule/archivedThrough`` set, so that the removal that follows takes only
    /// what the archive holds. Runs outside the writer: the events are read in a read
    /// transaction, written and synced by `archiver`, and only then removed by the next store
    /// step (an event is never changed once written, so what was archived is what is removed).
    ///
    /// Events are archived only once a signed checkpoint covers their audit entries (its tree
    /// size exceeds their indices): the others wait for the next checkpoint. Without an
    /// archiver, an archiving topic's events are not removed.
    /// - Returns: the rules, and whether a topic had more expired events than `budget` let
    ///   this step archive.
    func archiving(_ rules: [RetentionRule], archiver: (any EventArchiver)?, now: UInt64, budget: Int) throws -> (rules: [RetentionRule], more: Bool) {
        var rules = rules
        var more = false
        var remaining = budget
        for position in rules.indices where rules[position].archive {
            guard let archiver else { continue }
            let topic = rules[position].topic
            let held = try archiver.archivedThrough(topic: topic)
            rules[position].archivedThrough = held
            guard remaining > 0 else {
                more = true
                continue
            }
            let expiring = try store.expiringEvents(rules[position], now: now, limit: remaining)
            if expiring.count == remaining { more = true }
            // Events an earlier step archived but did not remove (it stopped in between) are not written again.
            let fresh = expiring.filter { event in held.map { event.event.sequence > $0 } ?? true }
            guard !fresh.isEmpty, let checkpoint = try store.latestCheckpoint() else { continue }
            let covered = Array(fresh.prefix { event in event.auditIndex.map { $0 < checkpoint.treeSize } ?? true })
            guard let last = covered.last else { continue }
            let proofs = try covered.map { event in
                try event.auditIndex.map { try store.auditInclusionProof(index: $0, treeSize: checkpoint.treeSize) } ?? []
            }
            try archiver.archive(ArchiveBatch(topic: topic, events: covered, proofs: proofs, checkpoint: checkpoint))
            remaining -= covered.count
            rules[position].archivedThrough = last.event.sequence
        }
        return (rules, more)
    }
}
