import ExchangeModel
import LMDB

extension BatchContext {
    /// Checks a repeat of a deduplicated message id against the original event's record, read
    /// by `sequence` in this transaction (so an original appended earlier in the same batch is
    /// found too); once retention removed the record, against the evidence it kept, the
    /// original's `published` audit entry (``removedOriginalDifferences(from:_:)``).
    ///
    /// Cost: only a repeat pays it, one get from `log` (a B-tree walk by sequence, its leaf
    /// usually cold for an old event) and a comparison of the two records' topic, type, subject
    /// and data bytes. A first publish pays nothing.
    /// - Returns: the attributes that differ (empty for an exact repeat, or when neither the
    ///   original record nor its audit entry is found: a repeat is then a duplicate, unchecked).
    /// - Throws: `store.corrupt_record` if either record does not parse; LMDB errors.
    func differences(from sequence: UInt64, _ append: PreparedAppend) throws -> [String] {
        var sequenceKey = sequence.bigEndian
        let found = try withUnsafeBytes(of: &sequenceKey) { key -> [String]? in
            guard let original = try txn.get(schema.log, key: key) else { return nil }
            return try append.record.withUnsafeBytes { repeated -> [String] in
                let old = try EventView(sequence: sequence, record: original).fields()
                let new = try EventView(sequence: 0, record: repeated).fields()
                var differing: [String] = []
                if !old.data.elementsEqual(new.data) { differing.append("data") }
                if !old.topic.elementsEqual(new.topic) { differing.append("topic") }
                if !old.type.elementsEqual(new.type) { differing.append("type") }
                switch (old.subject, new.subject) {
                case (nil, nil): break
                case (let a?, let b?) where a.elementsEqual(b): break
                default: differing.append("subject")
                }
                return differing
            }
        }
        if let found { return found }
        return try removedOriginalDifferences(from: sequence, append)
    }

    /// Compares a repeat with the `published` audit entry of its original, whose record
    /// retention removed: the entry holds the topic, type, subject and `data_digest` (the log's
    /// hash of the data bytes; equal bytes, equal digest), and it names the same publisher and
    /// message id, else it is not the original's and nothing is compared.
    ///
    /// The entry is found by halving the audit log through the filter index's `published` keys
    /// (``AuditFilterKey/kind(_:)``; sequences grow with audit indexes): at most about 64 look-ups
    /// of a key and an entry, paid only by a repeat of a removed event.
    /// - Returns: the attributes that differ; empty when they match or the entry is not found.
    func removedOriginalDifferences(from sequence: UInt64, _ append: PreparedAppend) throws -> [String] {
        guard let bytes = try publishedEntry(of: sequence), let entry = try? JSONValue.parse(bytes),
            entry["actor"]?.stringValue == append.source, entry["message_id"]?.stringValue == append.id
        else { return [] }
        let new = try append.record.withUnsafeBytes { repeated in
            let fields = try EventView(sequence: 0, record: repeated).fields()
            return (topic: String(decoding: fields.topic, as: UTF8.self), type: String(decoding: fields.type, as: UTF8.self),
                subject: fields.subject.map { String(decoding: $0, as: UTF8.self) })
        }
        var differing: [String] = []
        if entry["data_digest"]?.stringValue != append.audit.dataDigest { differing.append("data") }
        if entry["topic"]?.stringValue != new.topic { differing.append("topic") }
        if entry["type"]?.stringValue != new.type { differing.append("type") }
        if entry["subject"]?.stringValue != new.subject { differing.append("subject") }
        return differing
    }

    /// The canonical `published` entry of event `sequence` as `audit` holds it whole (retention
    /// wrote it over the reference when it removed the record), or `nil` when the merged filter
    /// index names no such entry, or the entry is still a reference to the record.
    func publishedEntry(of sequence: UInt64) throws -> [UInt8]? {
        let prefix = AuditFilterKey.kind(AuditEvent.Kind.published.rawValue).prefix
        let audit = schema.audit
        return try txn.withCursor(schema.auditFilters) { cursor -> [UInt8]? in
            // The first `published` entry at or after `index`: its index, sequence and, when
            // `audit` holds it whole, its bytes.
            func probe(_ index: UInt64) throws -> (index: UInt64, sequence: UInt64, entry: [UInt8]?)? {
                guard let key = try cursor.seek(atOrAfter: prefix + BigEndianKey.u64(index)), key.key.count == prefix.count + 8,
                    key.key.starts(with: prefix)
                else { return nil }
                let found = key.key.bigEndianUInt64(at: prefix.count)
                guard let value = try txn.get(audit, key: BigEndianKey.u64(found)) else { return nil }
                if let referred = value.withUnsafeBytes({ IndexTail.auditReference(in: $0) }) { return (found, referred, nil) }
                guard case .number(let number)? = (try? JSONValue.parse(value))?["sequence"], let stated = UInt64(number.text) else {
                    return nil
                }
                return (found, stated, value)
            }
            var low: UInt64 = 0
            var high = state.nextAuditIndex
            while low < high {
                let middle = low + (high - low) / 2
                guard let found = try probe(middle) else {
                    high = middle
                    continue
                }
                if found.sequence == sequence { return found.entry }
                if found.sequence < sequence {
                    low = found.index + 1
                } else {
                    high = middle
                }
            }
            return nil
        }
    }
}
