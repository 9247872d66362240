import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
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
