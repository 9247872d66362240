import LMDB
import Synchronization

extension ExchangeStore {
    /// The routes each agreement version has made, with the last event it routed: the counts
    /// kept beside the inboxes (see ``AgreementRouteCount``), read in one short transaction.
    /// Cost: one cursor pass over the counts (one entry per agreement version that ever routed)
    /// plus the index tail's inbox entries not yet merged (at most the merge threshold's events),
    /// and one log read per version for the time of its last event.
    /// - Returns: the counts, ordered by agreement id and version.
    public func agreementRoutes() throws -> [AgreementRouteCount] {
        try readIndexed { txn, tail in
            var counts: [AgreementRouteCounts.Key: AgreementRouteCounts.Count] = [:]
            try txn.withCursor(schema.meta) { cursor in
                var entry = try cursor.seek(atOrAfter: AgreementRouteCounts.prefix)
                while let current = entry, let key = AgreementRouteCounts.Key(current.key) {
                    if let count = AgreementRouteCounts.Count(metaValue: current.value) { counts[key] = count }
                    entry = try cursor.next()
                }
            }
            // What the merged counts cover, as this transaction sees it; the tail adds the rest.
            let merged = try txn.get(schema.meta, key: IndexMark.key).flatMap { bytes in bytes.withUnsafeBytes { IndexMark($0) } }
            let inbox = tail.generation.entries.withLock { $0.inbox }
            for (key, count) in AgreementRouteCounts.tally(inbox, after: merged?.sequence ?? 0, through: tail.lastSequence) {
                counts[key, default: AgreementRouteCounts.Count()].add(count)
            }
            var result: [AgreementRouteCount] = []
            for (key, count) in counts {
                guard let name = names.name(of: key.agreement, kind: .agreement) else { continue }
                var receivedAt: UInt64 = 0
                if let record = try txn.get(schema.log, key: BigEndianKey.u64(count.lastSequence)) {
                    receivedAt = record.withUnsafeBytes { EventView(sequence: count.lastSequence, record: $0).receivedAt }
                } else if let kept = try txn.get(schema.meta, key: AgreementLastRouted.key(key)), kept.count == 8 {
                    // Retention removed the event; it kept the time.
                    receivedAt = kept.withUnsafeBytes { $0.bigEndianUInt64(at: 0) }
                }
                result.append(AgreementRouteCount(
                    agreement: name, version: key.version, routes: count.routes, lastSequence: count.lastSequence, lastReceivedAt: receivedAt))
            }
            return result.sorted { ($0.agreement, $0.version) < ($1.agreement, $1.version) }
        }
    }
}

extension ExchangeStore {
    /// Keeps the receive time of event `sequence`, which retention is removing, for each
    /// agreement version whose last routed event it is: the register's `last_routed_at` reads
    /// it once the record is gone. One `meta` look-up per agreement version of the event.
    func keepLastRoutedTime(
        _ sequence: UInt64, receivedAt: UInt64, agreements: Set<AgreementRouteCounts.Key>, txn: inout WriteTransaction
    ) throws {
        for key in agreements {
            guard let value = try txn.get(schema.meta, key: key.bytes),
                value.withUnsafeBytes({ AgreementRouteCounts.Count(metaValue: $0) })?.lastSequence == sequence
            else { continue }
            try txn.put(schema.meta, key: AgreementLastRouted.key(key), value: BigEndianKey.u64(receivedAt))
        }
    }
}

/// `agreement_last_routed_at/` + agreement number + version (u32, u32, big-endian) in `meta`:
/// the receive time (u64, big-endian) of the last event the agreement version routed, written
/// when retention removes that event (until then the log holds it).
enum AgreementLastRouted {
    static let prefix = Array("agreement_last_routed_at/".utf8)

    static func key(_ key: AgreementRouteCounts.Key) -> [UInt8] {
        var bytes = BigEndianKey(capacity: 8)
        bytes.append(key.agreement)
        bytes.append(key.version)
        return prefix + bytes.bytes
    }
}
