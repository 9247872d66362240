import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
import LMDB
import Testing
import TestSupport

/// The audit log is tamper-evident on disk: a byte changed in `data.mdb` behind the store's back
/// is found, and the verifier names exactly the entry that was changed.
@Suite struct AuditTamperTests {
    static let origin = "exchange.test/audit"

    /// A store holding published events, refusals and acknowledgement-free audit entries, with
    /// a signed checkpoint of the whole log kept in it.
    static func populatedStore(_ directory: StoreDirectory, signer: NoteSigner) async throws -> UInt64 {
        let store = try directory.open()
        defer { store.close() }
        for index in 0..<24 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "e-\(index)"), routes: [taxRoute, portalRoute]))
            if index % 3 == 0 {
                _ = try await store.appendAudit([
                    AuditEvent(kind: .rejected, actor: "tax-bureau", fields: ["reason": .string("refusal \(index)")])
                ])
            }
        }
        let size = store.auditCount
        let checkpoint = try Checkpoint(origin: origin, treeSize: size, rootHash: try store.auditRoot(treeSize: size))
        #expect(try await store.saveCheckpoint(StoredCheckpoint(treeSize: size, note: try checkpoint.signed(by: [signer]).serialized)))
        return size
    }

    /// Verifies the store's log against its latest checkpoint as `exchangectl audit verify` does.
    static func verify(_ directory: StoreDirectory, verifier: NoteVerifier) throws -> AuditLogVerifier.Report {
        let store = try directory.open()
        defer { store.close() }
        let stored = try #require(try store.latestCheckpoint())
        let checkpoint = try Checkpoint(verifying: stored.note, using: [verifier], origin: origin)
        var log = try AuditLogVerifier(checkpoints: [checkpoint])
        var next: UInt64 = 0
        while next < log.requiredEntries {
            let records = try store.auditEntryRecords(from: next, limit: 7)
            for record in records where record.index < log.requiredEntries {
                try log.append(index: record.index, entry: record.entry, storedLeafHash: record.leafHash)
            }
            next = records.last!.index + 1
        }
        return try log.finish()
    }

    @Test(arguments: [0, 5, 17])
    func aFlippedByteOnDiskIsPinpointedToItsEntry(entry: UInt64) async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let signer = try NoteSigner(name: Self.origin, key: SigningKey.generate())
        let size = try await Self.populatedStore(directory, signer: signer)
        #expect(size > 17)
        // Untouched, the log verifies.
        let report = try Self.verify(directory, verifier: signer.verifier)
        #expect(report.verifiedSize == size)
        #expect(report.entries == size)

        // One bit of one letter of the entry's text: still valid JSON, still plausible.
        let (before, after) = try AuditTampering.flipByte(dataDirectory: directory.path, entry: entry, at: 3)
        #expect(before != after)
        do {
            _ = try Self.verify(directory, verifier: signer.verifier)
            Issue.record("the altered log verified")
        } catch let mismatch as AuditLogMismatch {
            #expect(mismatch.entryIndex == entry)
            #expect(mismatch.message.contains("entry \(entry) was altered"))
        }
    }

    @Test func checkpointsAreKeptByTreeSizeAndSurviveReopening() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open()
            defer { store.close() }
            #expect(try store.latestCheckpoint() == nil)
            _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal"), AuditEvent(kind: .queried, actor: "portal")])
            #expect(try await store.saveCheckpoint(StoredCheckpoint(treeSize: 1, note: "one\n")))
            #expect(try await store.saveCheckpoint(StoredCheckpoint(treeSize: 2, note: "two\n")))
            // A second checkpoint of the same size does not replace the first.
            #expect(try await store.saveCheckpoint(StoredCheckpoint(treeSize: 2, note: "other\n")) == false)
            await #expect(throws: StoreError.self) {
                try await store.saveCheckpoint(StoredCheckpoint(treeSize: 3, note: "past the log\n"))
            }
        }
        let store = try directory.open()
        defer { store.close() }
        #expect(try store.latestCheckpoint() == StoredCheckpoint(treeSize: 2, note: "two\n"))
        #expect(try store.checkpoint(treeSize: 1)?.note == "one\n")
        #expect(try store.checkpoint(treeSize: 3) == nil)
        #expect(try store.checkpoints(from: 0, limit: 10).map(\.treeSize) == [1, 2])
        #expect(try store.checkpoints(from: 2, limit: 10).map(\.treeSize) == [2])
    }

    @Test func entryRecordsCarryTheLeafHashOfTheirEntry() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let store = try directory.open()
        defer { store.close() }
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "a"), routes: [taxRoute]))
        _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal")])
        let records = try store.auditEntryRecords(from: 0, limit: 10)
        #expect(records.map(\.index) == [0, 1])
        for record in records {
            #expect(record.leafHash == (try store.auditTree.leafHash(record.entry)))
        }
    }

    @Test func aFormatTwoStoreIsUpgradedInPlace() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        do {
            let store = try directory.open()
            _ = try await store.appendAudit([AuditEvent(kind: .queried, actor: "portal")])
            store.close()
        }
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 16))
        let meta = try env.write { txn in try txn.openDatabase("meta") }
        try env.write { txn in try txn.put(meta, key: Array("format_version".utf8), value: [0, 0, 0, 2]) }
        let version = try env.read { txn in try txn.get(meta, key: Array("format_version".utf8)) }
        #expect(version == [0, 0, 0, 2])
        env.close()
        let store = try directory.open()
        #expect(store.auditCount == 1)
        #expect(try await store.saveCheckpoint(StoredCheckpoint(treeSize: 1, note: "n\n")))
        store.close()
        let reopened = try Environment(path: directory.path, configuration: .init(mapSize: 16 << 20, maxDatabases: 16))
        defer { reopened.close() }
        let upgraded = try reopened.write { txn in
            let meta = try txn.openDatabase("meta")
            return try txn.get(meta, key: Array("format_version".utf8))
        }
        #expect(upgraded == [0, 0, 0, 8])
    }
}
