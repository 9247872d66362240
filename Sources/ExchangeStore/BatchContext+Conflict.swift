import LMDB

extension BatchContext {
    /// Checks a repeat of a deduplicated message id against the original event's record, read
    /// by `sequence` in this transaction (so an original appended earlier in the same batch is
    /// found too).
    ///
    /// Cost: only a repeat pays it, one get from `log` (a B-tree walk by sequence, its leaf
    /// usually cold for an old event) and a comparison of the two records' topic, type, subject
    /// and data bytes. A first publish pays nothing.
    /// - Returns: the attributes that differ (empty for an exact repeat, or when the original
    ///   record is no longer in the log: a repeat is then a duplicate, unchecked).
    /// - Throws: `store.corrupt_record` if either record does not parse; LMDB errors.
    func differences(from sequence: UInt64, _ append: PreparedAppend) throws -> [String] {
        var sequenceKey = sequence.bigEndian
        return try withUnsafeBytes(of: &sequenceKey) { key -> [String] in
            guard let original = try txn.get(schema.log, key: key) else { return [] }
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
    }
}
