/// Verifies a whole audit log, entry by entry, against trusted checkpoints, in one pass and
/// O(log n) memory.
///
/// Feed the entries in order with the leaf hashes the log stored for them (an export or the
/// auditor API carries both). The verifier rebuilds two trees: one over the leaf hashes it
/// computes from the entries, one over the stored leaf hashes. When the computed tree does not
/// reproduce a checkpoint's root but the stored one does, the stored leaf hashes are the ones
/// the checkpoint signed, and the first entry whose own hash differs from its stored leaf hash
/// is the altered one. Without stored leaf hashes the mismatch is narrowed to the entries
/// between two checkpoints.
///
/// ```swift
/// var verifier = try AuditLogVerifier(checkpoints: [previous, latest])
/// for record in records { try verifier.append(index: record.index, entry: record.entry, storedLeafHash: record.leafHash) }
/// let report = try verifier.finish()          // throws AuditLogMismatch naming the entry
/// ```
public struct AuditLogVerifier: Sendable {
    /// What a successful verification established.
    public struct Report: Sendable, Hashable {
        /// The entries read.
        public var entries: UInt64
        /// The tree size of the largest checkpoint, whose entries all verified.
        public var verifiedSize: UInt64
        /// The checkpoint sizes checked, smallest first.
        public var checkpointSizes: [UInt64]
    }

    private struct Outcome: Sendable, Hashable {
        var checkpoint: Checkpoint
        var computedMatches: Bool?
        var storedMatches: Bool?
    }

    /// The tree's hashing, from the checkpoints.
    public let tree: MerkleTree
    private var computed: MerkleCompactRange
    private var stored: MerkleCompactRange
    private var outcomes: [Outcome]
    private var next = 0
    private var firstLeafMismatch: UInt64?

    /// Creates a verifier for checkpoints of one log.
    /// - Parameter checkpoints: verified checkpoints (their signatures checked by the caller);
    ///   at least one, all with one hash algorithm. The largest is the one the log is verified
    ///   against; every other must be consistent with it.
    public init(checkpoints: [Checkpoint]) throws {
        guard let first = checkpoints.first else {
            throw AuditError(.malformedCheckpoint, "no checkpoint to verify against")
        }
        guard checkpoints.allSatisfy({ $0.hashAlgorithm == first.hashAlgorithm && $0.origin == first.origin }) else {
            throw AuditError(.malformedCheckpoint, "the checkpoints are of different logs or hash functions")
        }
        tree = MerkleTree(algorithm: first.hashAlgorithm)
        computed = MerkleCompactRange(tree: tree)
        stored = MerkleCompactRange(tree: tree)
        outcomes = checkpoints.sorted { $0.treeSize < $1.treeSize }.map { Outcome(checkpoint: $0) }
        try settle()
    }

    /// The size of the largest checkpoint: how many entries must be appended.
    public var requiredEntries: UInt64 { outcomes.last!.checkpoint.treeSize }

    /// Adds the next entry.
    /// - Parameters:
    ///   - index: its index; must follow the previous one (the first is 0).
    ///   - entry: the entry bytes exactly as logged.
    ///   - storedLeafHash: the leaf hash the log stored for it, when known.
    public mutating func append(index: UInt64, entry: some Sequence<UInt8>, storedLeafHash: Digest?) throws {
        guard index == computed.size else {
            throw AuditLogMismatch(
                entryIndex: computed.size, checkpointSize: requiredEntries,
                message: "entry \(computed.size) is missing (the next entry read is \(index))")
        }
        let leaf = try tree.leafHash(entry)
        try computed.append(leafHash: leaf)
        try stored.append(leafHash: storedLeafHash ?? leaf)
        if let storedLeafHash, storedLeafHash != leaf, firstLeafMismatch == nil {
            firstLeafMismatch = index
        }
        try settle()
    }

    /// Compares the roots at every checkpoint size reached.
    private mutating func settle() throws {
        while next < outcomes.count, outcomes[next].checkpoint.treeSize == computed.size {
            outcomes[next].computedMatches = try computed.root() == outcomes[next].checkpoint.rootHash
            outcomes[next].storedMatches = try stored.root() == outcomes[next].checkpoint.rootHash
            next += 1
        }
    }

    /// Decides, once every entry was appended.
    /// - Returns: the report when every checkpoint's root was reproduced.
    /// - Throws: ``AuditLogMismatch`` naming the first wrong entry (or the narrowest range) or
    ///   the inconsistent checkpoint.
    public func finish() throws -> Report {
        let latest = outcomes.last!
        guard let latestMatches = latest.computedMatches else {
            throw AuditLogMismatch(
                entryIndex: computed.size, checkpointSize: latest.checkpoint.treeSize,
                message: "the log holds \(computed.size) entries but the checkpoint states \(latest.checkpoint.treeSize): entry \(computed.size) is missing")
        }
        if !latestMatches {
            throw mismatch(at: latest)
        }
        for outcome in outcomes where outcome.computedMatches != true {
            throw AuditLogMismatch(
                entryIndex: nil, checkpointSize: outcome.checkpoint.treeSize,
                message: "the checkpoint of size \(outcome.checkpoint.treeSize) is not consistent with the checkpoint of size "
                    + "\(latest.checkpoint.treeSize): the log was rewritten or forked after it was signed")
        }
        return Report(
            entries: computed.size, verifiedSize: latest.checkpoint.treeSize, checkpointSizes: outcomes.map(\.checkpoint.treeSize))
    }

    private func mismatch(at latest: Outcome) -> AuditLogMismatch {
        let size = latest.checkpoint.treeSize
        if latest.storedMatches == true, let index = firstLeafMismatch, index < size {
            return AuditLogMismatch(
                entryIndex: index, checkpointSize: size,
                message: "entry \(index) was altered: its hash differs from the leaf hash signed in the checkpoint of size \(size)")
        }
        // Narrow down with the smaller checkpoints: the first one not reproduced bounds the range.
        var lower: UInt64 = 0
        for outcome in outcomes {
            if outcome.computedMatches == true {
                lower = outcome.checkpoint.treeSize
                continue
            }
            let upper = outcome.checkpoint.treeSize
            if upper - lower == 1 {
                return AuditLogMismatch(
                    entryIndex: lower, checkpointSize: upper, message: "entry \(lower) was altered: the checkpoint of size \(upper) does not match")
            }
            return AuditLogMismatch(
                entryIndex: nil, checkpointSize: upper,
                message: "an entry in \(lower)..<\(upper) was altered: the entries do not reproduce the root of the checkpoint of size \(upper)")
        }
        return AuditLogMismatch(entryIndex: nil, checkpointSize: size, message: "the entries do not reproduce the checkpoint of size \(size)")
    }
}
