import ExchangeAudit
import Testing

/// The one-pass verifier of a whole log: roots, pinpointing altered entries, forks, gaps.
@Suite struct AuditLogVerifierTests {
    static let tree = MerkleTree(algorithm: .sha256)

    static func entries(_ count: Int) -> [[UInt8]] {
        (0..<count).map { Array(#"{"actor":"a","index":\#($0),"kind":"queried"}"#.utf8) }
    }

    /// The root of `entries[0..<size]` through stored nodes, the store's way.
    static func root(_ entries: [[UInt8]], size: Int, algorithm: HashAlgorithm = .sha256) throws -> Digest {
        let tree = MerkleTree(algorithm: algorithm)
        var storage = InMemoryMerkleNodeStorage()
        for (index, entry) in entries.prefix(size).enumerated() {
            try tree.append(entry: entry, treeSize: UInt64(index), to: &storage)
        }
        return try tree.root(treeSize: UInt64(size), nodes: storage)
    }

    static func checkpoint(_ entries: [[UInt8]], size: Int, algorithm: HashAlgorithm = .sha256) throws -> Checkpoint {
        try Checkpoint(origin: "log", treeSize: UInt64(size), rootHash: root(entries, size: size, algorithm: algorithm), hashAlgorithm: algorithm)
    }

    @Test(arguments: HashAlgorithm.allCases)
    func compactRangeGivesTheTreeRootAtEverySize(algorithm: HashAlgorithm) throws {
        let tree = MerkleTree(algorithm: algorithm)
        let entries = Self.entries(70)
        var range = MerkleCompactRange(tree: tree)
        var storage = InMemoryMerkleNodeStorage()
        #expect(try range.root() == tree.emptyRoot())
        for (index, entry) in entries.enumerated() {
            try range.append(leafHash: tree.leafHash(entry))
            try tree.append(entry: entry, treeSize: UInt64(index), to: &storage)
            #expect(try range.root() == tree.root(treeSize: UInt64(index + 1), nodes: storage), "size \(index + 1)")
        }
    }

    static func run(_ entries: [[UInt8]], stored: [[UInt8]]? = nil, checkpoints: [Checkpoint]) throws -> AuditLogVerifier.Report {
        var verifier = try AuditLogVerifier(checkpoints: checkpoints)
        for (index, entry) in entries.enumerated() where UInt64(index) < verifier.requiredEntries {
            let leaf = try stored.map { try tree.leafHash($0[index]) }
            try verifier.append(index: UInt64(index), entry: entry, storedLeafHash: leaf)
        }
        return try verifier.finish()
    }

    @Test func anUntouchedLogVerifiesAgainstEveryCheckpoint() throws {
        let entries = Self.entries(40)
        let report = try Self.run(entries, stored: entries, checkpoints: [Self.checkpoint(entries, size: 40), Self.checkpoint(entries, size: 13)])
        #expect(report.verifiedSize == 40)
        #expect(report.checkpointSizes == [13, 40])
    }

    @Test(arguments: [0, 1, 22, 39])
    func anAlteredEntryIsNamedExactly(index: Int) throws {
        let original = Self.entries(40)
        var altered = original
        altered[index][3] ^= 0x20
        #expect(throws: AuditLogMismatch(
            entryIndex: UInt64(index), checkpointSize: 40,
            message: "entry \(index) was altered: its hash differs from the leaf hash signed in the checkpoint of size 40")
        ) {
            try Self.run(altered, stored: original, checkpoints: [Self.checkpoint(original, size: 40)])
        }
    }

    @Test func withoutStoredLeafHashesTheCheckpointsNarrowTheRange() throws {
        let original = Self.entries(40)
        var altered = original
        altered[25][3] ^= 0x20
        let checkpoints = try [10, 20, 30, 40].map { try Self.checkpoint(original, size: $0) }
        do {
            _ = try Self.run(altered, checkpoints: checkpoints)
            Issue.record("the altered log verified")
        } catch let mismatch as AuditLogMismatch {
            #expect(mismatch.entryIndex == nil)
            #expect(mismatch.checkpointSize == 30)
            #expect(mismatch.message.contains("20..<30"))
        }
    }

    @Test func aPreviousCheckpointOfAnotherHistoryIsAFork() throws {
        let entries = Self.entries(40)
        var other = entries
        other[3] = Array(#"{"rewritten":true}"#.utf8)
        do {
            _ = try Self.run(entries, stored: entries, checkpoints: [Self.checkpoint(entries, size: 40), Self.checkpoint(other, size: 20)])
            Issue.record("a forked history verified")
        } catch let mismatch as AuditLogMismatch {
            #expect(mismatch.checkpointSize == 20)
            #expect(mismatch.message.contains("not consistent"))
        }
    }

    @Test func missingEntriesAreNamed() throws {
        let entries = Self.entries(40)
        #expect(throws: AuditLogMismatch.self) {
            try Self.run(Array(entries.prefix(30)), stored: entries, checkpoints: [Self.checkpoint(entries, size: 40)])
        }
        var verifier = try AuditLogVerifier(checkpoints: [Self.checkpoint(entries, size: 40)])
        try verifier.append(index: 0, entry: entries[0], storedLeafHash: nil)
        #expect(throws: AuditLogMismatch.self) {
            try verifier.append(index: 2, entry: entries[2], storedLeafHash: nil)
        }
    }

    @Test func sm3LogsVerifyWithSM3() throws {
        let entries = Self.entries(9)
        let checkpoint = try Self.checkpoint(entries, size: 9, algorithm: .sm3)
        var verifier = try AuditLogVerifier(checkpoints: [checkpoint])
        let sm3 = MerkleTree(algorithm: .sm3)
        for (index, entry) in entries.enumerated() {
            try verifier.append(index: UInt64(index), entry: entry, storedLeafHash: sm3.leafHash(entry))
        }
        #expect(try verifier.finish().verifiedSize == 9)
    }
}
