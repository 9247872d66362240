import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing

/// The audit log's Merkle tree, maintained in the transactions that write the entries.
@Suite struct AuditTreeTests {
    /// Roots of every size, recomputed from the entries alone, independently of the store.
    static func referenceRoots(_ entries: [[UInt8]], algorithm: HashAlgorithm = .sha256) throws -> [Digest] {
        let tree = MerkleTree(algorithm: algorithm)
        var storage = InMemoryMerkleNodeStorage()
        var roots = [try tree.emptyRoot()]
        for (index, entry) in entries.enumerated() {
            try tree.append(entry: entry, treeSize: UInt64(index), to: &storage)
            roots.append(try tree.root(treeSize: UInt64(index + 1), nodes: storage))
        }
        return roots
    }

    @Test func storedTreeMatchesARecomputationAtEverySizeAcrossReopens() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        for round in 0..<3 {
            let store = try directory.open()
            for batch in 0..<7 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for publisher in 0..<5 {
                        group.addTask {
                            _ = try await store.append(
                                AppendRequest(envelope: sampleEvent(id: "r\(round)-b\(batch)-p\(publisher)"), routes: [taxRoute]))
                        }
                    }
                    group.addTask {
                        _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal", fields: ["round": .integer(Int64(round))])])
                    }
                    try await group.waitForAll()
                }
            }
            store.close()
        }
        let store = try directory.open()
        defer { store.close() }
        let entries = try store.auditEntries(from: 0, limit: .max)
        #expect(entries.count == 3 * 7 * 6)
        let roots = try Self.referenceRoots(entries)
        for size in 0...entries.count {
            #expect(try store.auditRoot(treeSize: UInt64(size)) == roots[size], "root of size \(size)")
        }
        let tree = store.auditTree
        let size = UInt64(entries.count)
        for index in [0, 1, 63, 64, 100, entries.count - 1] {
            let proof = try store.auditInclusionProof(index: UInt64(index), treeSize: size)
            try tree.verifyInclusion(
                leafHash: try tree.leafHash(entries[index]), leafIndex: UInt64(index), treeSize: size, proof: proof, root: roots[entries.count])
        }
        for first in [1, 7, 64, 65, 100] {
            let proof = try store.auditConsistencyProof(first: UInt64(first), second: size)
            try tree.verifyConsistency(oldSize: UInt64(first), newSize: size, oldRoot: roots[first], newRoot: roots[entries.count], proof: proof)
        }
        #expect(throws: StoreError.self) { try store.auditRoot(treeSize: size + 1) }
    }

    /// A store written before format 4 keeps its nodes in `audit_nodes`, keyed by level first.
    /// Opened by this build it is upgraded in place: the old nodes stay where they are and are
    /// read from there, new ones go to `audit_tree`, and the tree spanning both is the tree of
    /// its entries at every size, before and after a further reopen.
    @Test func aFormatThreeStoresTreeIsReadAcrossTheUpgrade() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        func appendAudit(_ store: ExchangeStore, _ range: Range<Int>) async throws {
            for index in range {
                _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal", fields: ["n": .integer(Int64(index))])])
            }
        }
        do {
            let store = try directory.open()
            try await appendAudit(store, 0..<37)
            store.close()
        }
        // Turn it into the store a format 3 build leaves: every node under its level-first key
        // in `audit_nodes`, none in `audit_tree`, version 3.
        let legacyCount = try Self.rewriteAsFormatThree(directory.path)
        #expect(legacyCount == 2 * 37 - 3, "a tree of n leaves has 2n - popcount(n) complete subtrees")

        var store = try directory.open()
        #expect(store.auditCount == 37)
        #expect(try !store.isRegistryRebuildPending, "a format 3 store has its registry; only format 2 awaits a rewrite")
        try await appendAudit(store, 37..<66)
        store.close()
        store = try directory.open()
        try await appendAudit(store, 66..<70)

        let entries = try store.auditEntries(from: 0, limit: .max)
        #expect(entries.count == 70)
        let roots = try Self.referenceRoots(entries)
        for size in 0...entries.count {
            #expect(try store.auditRoot(treeSize: UInt64(size)) == roots[size], "root of size \(size)")
        }
        let tree = store.auditTree
        for index in [0, 36, 37, 63, 64, 69] {
            let proof = try store.auditInclusionProof(index: UInt64(index), treeSize: 70)
            try tree.verifyInclusion(
                leafHash: try tree.leafHash(entries[index]), leafIndex: UInt64(index), treeSize: 70, proof: proof, root: roots[70])
        }
        for first in [1, 36, 37, 38, 64, 66] {
            let proof = try store.auditConsistencyProof(first: UInt64(first), second: 70)
            try tree.verifyConsistency(oldSize: UInt64(first), newSize: 70, oldRoot: roots[first], newRoot: roots[70], proof: proof)
        }
        let records = try store.auditEntryRecords(from: 30, limit: 20)
        #expect(records.count == 20)
        for record in records {
            #expect(record.leafHash == (try tree.leafHash(record.entry)), "leaf \(record.index), either side of the upgrade")
        }
        store.close()

        let environment = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { environment.close() }
        let (version, legacy, written) = try environment.write { txn in
            let meta = try txn.openDatabase("meta")
            return (
                try txn.get(meta, key: Array("format_version".utf8)), try txn.count(try txn.openDatabase("audit_nodes")),
                try txn.count(try txn.openDatabase("audit_tree"))
            )
        }
        #expect(version == [0, 0, 0, 8])
        #expect(legacy == legacyCount, "the old nodes are kept as they were")
        #expect(written == (2 * 70 - 3) - legacyCount, "every later node is in audit_tree, once")
    }

    /// Moves every Merkle node of the store in `path` to `audit_nodes` under its level-first
    /// key, removes `audit_tree` (a format 3 store has none) and sets format version 3;
    /// returns the number of nodes moved.
    static func rewriteAsFormatThree(_ path: String) throws -> Int {
        let environment = try Environment(path: path, configuration: .init(mapSize: 16 << 20, maxDatabases: 32))
        defer { environment.close() }
        return try environment.write { txn in
            let meta = try txn.openDatabase("meta")
            let current = try txn.openDatabase("audit_tree")
            let legacy = try txn.openDatabase("audit_nodes")
            #expect(try txn.count(legacy) == 0)
            var nodes: [(MerkleNodeID, [UInt8])] = []
            try txn.withCursor(current) { cursor in
                var entry = try cursor.first()
                while let found = entry {
                    let node = try #require(MerkleNodeID(appendOrderKey: found.key))
                    nodes.append((node, Array(found.value)))
                    entry = try cursor.next()
                }
            }
            for (node, hash) in nodes {
                _ = try txn.put(legacy, key: node.storageKey, value: hash)
            }
            try txn.drop(current, delete: true)
            _ = try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 3])
            return nodes.count
        }
    }

    @Test func alteredEntryNoLongerMatchesTheStoredRoot() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        for index in 0..<10 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "t-\(index)")))
        }
        var entries = try store.auditEntries(from: 0, limit: .max)
        #expect(try Self.referenceRoots(entries).last == store.auditRoot(treeSize: 10))
        entries[4][10] ^= 0x01
        #expect(try Self.referenceRoots(entries).last != store.auditRoot(treeSize: 10))
    }

    @Test func storeRefusesToSwitchTheTreesHashAlgorithm() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.path, initialMapSize: 16 << 20, auditHash: .sm3))
            _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal")])
            let entries = try store.auditEntries(from: 0, limit: 1)
            #expect(try Self.referenceRoots(entries, algorithm: .sm3).last == store.auditRoot(treeSize: 1))
            store.close()
        }
        do {
            _ = try directory.open()
            Issue.record("a store hashed with SM3 was opened as SHA-256")
        } catch let error as StoreError {
            #expect(error.code == .unsupportedFormat)
            #expect(error.message.contains("sm3"))
        }
    }
}
