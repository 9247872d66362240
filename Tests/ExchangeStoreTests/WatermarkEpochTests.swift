import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// The watermark file and the new epoch after a restore (docs/operations.md, "Backup and
/// restore"): every sequence and audit index handed out is below the ceilings on disk before it
/// is acknowledged, and a restored store resumes above them, reusing none, across restarts.
@Suite struct WatermarkEpochTests {
    static func configuration(_ directory: String, watermark: String, acknowledge: Bool = false) -> StoreConfiguration {
        var configuration = StoreConfiguration(directory: directory, initialMapSize: 16 << 20)
        configuration.watermarkPath = watermark
        configuration.watermarkBlock = 100
        configuration.acknowledgeRollback = acknowledge
        return configuration
    }

    static func readWatermark(_ path: String) throws -> WatermarkRecord {
        try JSONDecoder().decode(WatermarkRecord.self, from: try #require(FileManager.default.contents(atPath: path)))
    }

    @Test func ceilingsAreOnDiskBeforeEveryAnswerAndSurviveReopening() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let watermark = directory.path + "-watermark"
        defer { try? FileManager.default.removeItem(atPath: watermark) }
        var store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        var writes = 0
        var last = WatermarkRecord()
        for index in 0..<250 {
            let result = try await store.append(AppendRequest(envelope: sampleEvent(id: "w-\(index)")))
            let record = try Self.readWatermark(watermark)
            #expect(result.sequence <= record.sequenceCeiling, "sequence \(result.sequence) acknowledged above the ceiling \(record.sequenceCeiling)")
            #expect(store.auditCount <= record.auditCeiling)
            if record != last { writes += 1 }
            last = record
        }
        // Raised a block at a time, not at every commit.
        #expect(writes >= 4 && writes <= 12, "\(writes) writes")
        try await store.saveCheckpoint(StoredCheckpoint(treeSize: store.auditCount, note: "test checkpoint\n"))
        #expect(try Self.readWatermark(watermark).checkpointSize == store.auditCount)
        store.close()
        store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        defer { store.close() }
        #expect(try Self.readWatermark(watermark).sequenceCeiling >= 250)
    }

    @Test func aRestoredStoreIsRefusedThenResumesAboveEveryNumberHandedOut() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let restoredDirectory = StoreDirectory()
        defer { restoredDirectory.remove() }
        let watermark = directory.path + "-watermark"
        defer { try? FileManager.default.removeItem(atPath: watermark) }
        let store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        for index in 0..<10 {
            _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "b-\(index)")))
        }
        let copy = try store.writeBackupCopy()
        defer { copy.remove() }
        var highest: UInt64 = 0
        for index in 0..<30 {
            highest = try await store.append(AppendRequest(envelope: sampleEvent(id: "a-\(index)"))).sequence
        }
        let auditSeen = store.auditCount
        try await store.saveCheckpoint(StoredCheckpoint(treeSize: auditSeen, note: "checkpoint of the old log\n"))
        store.close()

        try FileManager.default.createDirectory(atPath: restoredDirectory.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: copy.file, toPath: restoredDirectory.path + "/data.mdb")
        // Behind the watermark's checkpoint: refused without the acknowledgement.
        #expect {
            try ExchangeStore(configuration: Self.configuration(restoredDirectory.path, watermark: watermark))
        } throws: { ($0 as? StoreError)?.code == .rolledBack }

        let restored = try ExchangeStore(configuration: Self.configuration(restoredDirectory.path, watermark: watermark, acknowledge: true))
        let restoredAudit = restored.auditCount
        #expect(restoredAudit < auditSeen)
        let opening = try #require(try await restored.openEpoch(actor: "operator", reason: "test restore"))
        #expect(opening.epoch == 2)
        #expect(opening.lostAudit.lowerBound == restoredAudit && opening.lostAudit.upperBound >= auditSeen)
        #expect(opening.nextSequence > highest)
        let next = try await restored.append(AppendRequest(envelope: sampleEvent(id: "e-0"))).sequence
        #expect(next > highest)
        // Every index the old log used is a lost entry now; the epoch entry follows them.
        let records = try restored.auditEntryRecords(from: restoredAudit, limit: Int(opening.epochEntryIndex - restoredAudit + 1))
        for record in records.dropLast() {
            #expect(String(decoding: record.entry, as: UTF8.self).contains(#""kind":"lost""#))
        }
        let epochEntry = String(decoding: try #require(records.last).entry, as: UTF8.self)
        #expect(epochEntry.contains(#""kind":"epoch""#) && epochEntry.contains("checkpoint of the old log"), "\(epochEntry)")
        #expect(opening.epochEntryIndex >= auditSeen)
        restored.close()

        // Reopened without the acknowledgement: in order, and still above the lost numbers
        // even with no event since the epoch opened.
        let reopened = try ExchangeStore(configuration: Self.configuration(restoredDirectory.path, watermark: watermark))
        defer { reopened.close() }
        #expect(reopened.rollbackFinding == nil)
        #expect(try reopened.logEpoch() == 2)
        let after = try await reopened.append(AppendRequest(envelope: sampleEvent(id: "e-1"))).sequence
        #expect(after == next + 1)
    }

    @Test func anEpochWithNoEventYetKeepsItsSequenceFloorAcrossRestarts() async throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let watermark = directory.path + "-watermark"
        defer { try? FileManager.default.removeItem(atPath: watermark) }
        var store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        _ = try await store.append(AppendRequest(envelope: sampleEvent(id: "x")))
        try await store.markRestored(from: "test")
        store.close()
        #expect {
            try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        } throws: { ($0 as? StoreError)?.code == .rolledBack }
        store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark, acknowledge: true))
        let opening = try #require(try await store.openEpoch(actor: "operator", reason: "test"))
        // As a crash leaves it: the index tail is not merged at close.
        store.close(mergingIndexes: false)
        store = try ExchangeStore(configuration: Self.configuration(directory.path, watermark: watermark))
        defer { store.close() }
        let sequence = try await store.append(AppendRequest(envelope: sampleEvent(id: "y"))).sequence
        #expect(sequence == opening.nextSequence)
        #expect(sequence > 1)
    }
}
