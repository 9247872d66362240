import ExchangeAudit
import ExchangeModel
import LMDB

/// Everything one group-commit transaction works with.
struct BatchContext: ~Copyable {
    var txn: WriteTransaction
    let schema: StoreSchema
    let names: NameTable
    let tree: MerkleTree
    var state: WriterState
    /// The batch's receive time: every event of the batch carries it.
    let time: UInt64
    var record: RecordWriter
    var addedNames: [(kind: NameTable.Kind, name: String, id: UInt32)] = []
    /// The departments that got inbox entries in this batch, for commit observers.
    var routedConsumers: Set<String> = []
    /// The index entries this batch derives from what it writes, for the index tail.
    var tailBatch = IndexTail.Batch()
    /// Set by an operation that asks for the index tail to be merged in this batch whatever its size.
    var mergeIndexTail = false
    /// The checkpoint this batch keeps, for the watermark file.
    var savedCheckpoint: StoredCheckpoint?
    /// The batch's time as an audit member, encoded once.
    private let timeMember: CanonicalObject.Member
    private let encodedTime: [UInt8]
    private var auditBuffer: [UInt8] = []
    private var addedIDs: [NameTable.Kind: [String: UInt32]] = [:]
    private var firstSequence: UInt64?

    init(
        txn: consuming WriteTransaction, schema: StoreSchema, names: NameTable, tree: MerkleTree, state: WriterState, time: UInt64,
        record: RecordWriter
    ) {
        self.txn = txn
        self.schema = schema
        self.names = names
        self.tree = tree
        self.state = state
        self.time = time
        self.record = record
        var encodedTime: [UInt8] = []
        AuditValue.string(RFC3339.format(nanoseconds: time)).writeCanonical(into: &encodedTime)
        self.encodedTime = encodedTime
        self.timeMember = CanonicalObject.Member(name: "time", encodedValue: encodedTime)
        auditBuffer.reserveCapacity(512)
    }

    /// The deduplication entry for `key`: appended in this batch, in memory, or in a run on disk.
    func dedupLookup(_ key: DedupCache.Key, cache: DedupCache) throws -> DedupCache.Entry? {
        if let entry = cache.lookup(key) { return entry }
        return try cache.runs.lookup(key, txn: txn, schema: schema)
    }

    /// The id of `name`, interning it in this transaction when it is new.
    mutating func intern(_ name: String, _ kind: NameTable.Kind) throws -> UInt32 {
        if let id = names.id(of: name, kind: kind) ?? addedIDs[kind]?[name] {
            return id
        }
        let id = (state.lastIDs[kind] ?? 0) + 1
        state.lastIDs[kind] = id
        try NameTable.write(name: name, id: id, kind: kind, txn: &txn, meta: schema.meta)
        addedIDs[kind, default: [:]][name] = id
        addedNames.append((kind, name, id))
        return id
    }

    /// The id of `name` if it was interned (committed or in this batch), without interning it.
    func existingID(_ name: String, _ kind: NameTable.Kind) -> UInt32? {
        names.id(of: name, kind: kind) ?? addedIDs[kind]?[name]
    }

    /// Takes the next log sequence. The first of a batch also writes the sparse time index when
    /// ``StoreSchema/timeIndexInterval`` passed since its last entry.
    mutating func takeSequence() throws -> UInt64 {
        let sequence = state.nextSequence
        state.nextSequence += 1
        if firstSequence == nil {
            firstSequence = sequence
            if state.lastIndexedTime == 0 || time >= state.lastIndexedTime + StoreSchema.timeIndexInterval {
                let key = BigEndianKey.pair(time, sequence)
                try txn.put(schema.timeIndex, key: key, value: [], flags: .append)
                state.lastIndexedTime = time
            }
        }
        return sequence
    }

    /// Appends an audit entry in this transaction; returns its index.
    @discardableResult
    mutating func appendAudit(_ event: AuditEvent) throws -> UInt64 {
        auditBuffer.removeAll(keepingCapacity: true)
        event.prepared().write(adding: [timeMember], into: &auditBuffer)
        // The keys from the event: what parsing the text just written would give.
        return try writeAuditBuffer(filterPrefixes: AuditFilterKey.keys(of: event).map(\.prefix))
    }

    /// Takes the index of the `published` entry of event `sequence`, stamps the entry (its
    /// sequence and the batch time) and adds its Merkle nodes and its reference to the index
    /// tail. The entry is not written to `audit`: it is stored in the event's record, which the
    /// caller writes with ``publishedEntry``.
    mutating func stagePublishedAudit(_ template: PublishedAuditTemplate, sequence: UInt64) throws -> UInt64 {
        auditBuffer.removeAll(keepingCapacity: true)
        template.write(sequence: sequence, encodedTime: encodedTime, into: &auditBuffer)
        let index = try takeAuditIndex()
        tailBatch.auditReferences.append((index, sequence))
        try writeAuditFilters(template.filterPrefixes, index: index)
        return index
    }

    /// The entry ``stagePublishedAudit(_:sequence:)`` stamped last.
    var publishedEntry: [UInt8] { auditBuffer }

    private mutating func writeAuditBuffer(filterPrefixes: [[UInt8]]) throws -> UInt64 {
        let index = try takeAuditIndex()
        var key = index.bigEndian
        try withUnsafeBytes(of: &key) { key in
            try auditBuffer.withUnsafeBytes { value in
                _ = try txn.put(schema.audit, key: key, value: value, flags: .append)
            }
        }
        try writeAuditFilters(filterPrefixes, index: index)
        return index
    }

    /// Takes the next audit index for the entry in `auditBuffer` and computes the Merkle nodes
    /// it completes, which go to the index tail with this batch.
    private mutating func takeAuditIndex() throws -> UInt64 {
        let index = state.nextAuditIndex
        state.nextAuditIndex += 1
        let writes = try tree.appendWrites(leafHash: tree.leafHash(auditBuffer), treeSize: index, nodes: state.frontier)
        tailBatch.nodes.append(contentsOf: writes)
        tailBatch.auditEntries += 1
        state.frontier.record(writes)
        return index
    }
}
