import ExchangeAudit
import ExchangeEngine
import ExchangeModel
import ExchangeStore
import ExchangeWire
import Foundation
import TestSupport
import Testing

/// The archive's files: segments and manifests written durably and once, read back byte for
/// byte, and verified against a signed checkpoint, so that any changed byte of an archived
/// event fails, even when the manifest is forged to match.
@Suite struct ArchiveWriterTests {
    static let topic = "licence.business.issued"

    /// Events 1...count of the topic with real `published` entries at audit indices 0..<count
    /// (event 2's JSON data holds line breaks), a log of those entries, and a checkpoint of it
    /// signed by `signer`.
    struct Log {
        let signer: NoteSigner
        let events: [ExpiringEvent]
        let batch: ArchiveBatch

        init(count: Int = 3) throws {
            signer = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
            let tree = MerkleTree(algorithm: .sha256)
            var storage = InMemoryMerkleNodeStorage()
            var events: [ExpiringEvent] = []
            for sequence in 1...UInt64(count) {
                let data = Array((sequence == 2 ? "{\n  \"licence_no\": \"L-2\"\r\n}" : #"{"licence_no":"L-\#(sequence)"}"#).utf8)
                let envelope = Envelope(
                    id: "L-\(sequence)", source: "msa", type: "licence.issued", topic: ArchiveWriterTests.topic, subject: "L-\(sequence)", data: data)
                let entry = Array(
                    (#"{"actor":"msa","data_digest":""# + (try HashAlgorithm.sha256.digest(data)).hex
                        + #"","kind":"published","message_id":"L-\#(sequence)","routes":[],"sequence":\#(sequence),"#
                        + #""subject":"L-\#(sequence)","time":"2026-12-07T06:00:00.000000000Z","topic":"\#(ArchiveWriterTests.topic)","type":"licence.issued"}"#).utf8)
                try tree.append(entry: entry, treeSize: sequence - 1, to: &storage)
                events.append(
                    ExpiringEvent(
                        event: StoredEvent(sequence: sequence, receivedAt: 1_796_000_000_000_000_000 + sequence, routeCount: 0, envelope: envelope),
                        auditIndex: sequence - 1, auditEntry: entry))
            }
            let size = UInt64(count)
            let note = try Checkpoint(origin: "exchange.test/audit", treeSize: size, rootHash: tree.root(treeSize: size, nodes: storage))
                .signed(by: [signer]).serialized
            let proofs = try events.map { try tree.inclusionProof(leafIndex: $0.auditIndex!, treeSize: size, nodes: storage) }
            self.events = events
            batch = ArchiveBatch(topic: ArchiveWriterTests.topic, events: events, proofs: proofs, checkpoint: StoredCheckpoint(treeSize: size, note: note))
        }

        func verifier(_ directory: String) -> ArchiveVerifier {
            ArchiveVerifier(directory: directory) { note in try Checkpoint(verifying: note, using: [signer.verifier]) }
        }
    }

    static func failure(_ body: () throws -> Void) -> ArchiveReadError? {
        do {
            try body()
            return nil
        } catch {
            return error as? ArchiveReadError
        }
    }

    @Test func aWrittenSegmentReadsBackAndVerifies() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Log()
        let writer = try ArchiveWriter(directory: directory.file("archive"))
        try writer.archive(log.batch)
        let folder = directory.file("archive/\(Self.topic)")
        let name = "00000000000000000001-00000000000000000003"
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["\(name).manifest.json", "\(name).ndjson"])
        let summary = try log.verifier(directory.file("archive")).verify()
        #expect(summary.events == 3 && summary.segments == 1 && summary.topics == 1)
        // Every line gives back the event's data byte for byte, line breaks included.
        let reader = ArchiveReader(directory: directory.file("archive"))
        let segment = try #require(try reader.segments(topic: Self.topic).first)
        let lines = try reader.lines(of: segment).lines.map { try ArchivedLine($0) }
        #expect(lines.map(\.data) == log.events.map(\.event.envelope.data))
        #expect(lines.map(\.sequence) == [1, 2, 3])
        #expect(lines.map { $0.attributes["auditindex"] } == ["0", "1", "2"])
        #expect(lines[0].attributes["receivedat"] != nil && lines[0].attributes["id"] == "L-1")
    }

    @Test func writingIsIdempotentAndTheArchivedSequenceSurvivesARestart() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Log()
        let writer = try ArchiveWriter(directory: directory.path)
        #expect(try writer.archivedThrough(topic: Self.topic) == nil)
        try writer.archive(log.batch)
        let folder = directory.file(Self.topic)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)) }
        // The same batch again (a step that stopped between archiving and removing): nothing changes.
        try writer.archive(log.batch)
        try ArchiveWriter(directory: directory.path).archive(log.batch)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == files)
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)) } == before)
        #expect(try writer.archivedThrough(topic: Self.topic) == 3)
        // A new writer (a restart) reads what the directory holds; a segment without its
        // manifest (a crash before the manifest's rename) does not count.
        try FileManager.default.copyItem(atPath: folder + "/" + files[1], toPath: folder + "/00000000000000000004-00000000000000000009.ndjson")
        #expect(try ArchiveWriter(directory: directory.path).archivedThrough(topic: Self.topic) == 3)
        // Nor does a manifest whose segment is short (a torn copy).
        let manifest = try String(contentsOfFile: folder + "/" + files[0], encoding: .utf8)
        try manifest.replacingOccurrences(of: "00000000000000000001-00000000000000000003", with: "00000000000000000004-00000000000000000009")
            .replacingOccurrences(of: #""last_sequence":3"#, with: #""last_sequence":9"#)
            .write(toFile: folder + "/00000000000000000004-00000000000000000009.manifest.json", atomically: true, encoding: .utf8)
        try Data().write(to: URL(fileURLWithPath: folder + "/00000000000000000004-00000000000000000009.ndjson"))
        #expect(try ArchiveWriter(directory: directory.path).archivedThrough(topic: Self.topic) == 3)
    }

    @Test func aChangedByteOfAnArchivedEventFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Log()
        try ArchiveWriter(directory: directory.path).archive(log.batch)
        let segment = directory.file("\(Self.topic)/00000000000000000001-00000000000000000003.ndjson")
        let original = try String(contentsOfFile: segment, encoding: .utf8)
        try original.replacingOccurrences(of: #""licence_no":"L-3""#, with: #""licence_no":"L-8""#).write(toFile: segment, atomically: true, encoding: .utf8)
        let failure = try #require(Self.failure { try log.verifier(directory.path).verify() })
        #expect(failure.code == "archive.digest_mismatch")
        #expect(failure.detail.contains("line 3 (event 3)"), "\(failure.detail)")
        #expect(failure.detail.contains("published audit entry"), "\(failure.detail)")
    }

    @Test func aManifestForgedToMatchAChangedEventStillFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try Log()
        try ArchiveWriter(directory: directory.path).archive(log.batch)
        let folder = directory.file(Self.topic)
        let name = "00000000000000000001-00000000000000000003"
        // Change event 1's data and recompute every digest the manifest holds: the audit
        // entry's data_digest, bound to the signed checkpoint, still differs.
        var lines = try String(contentsOfFile: "\(folder)/\(name).ndjson", encoding: .utf8).split(separator: "\n").map(String.init)
        lines[0] = lines[0].replacingOccurrences(of: #""licence_no":"L-1""#, with: #""licence_no":"L-7""#)
        let segment = Array((lines.joined(separator: "\n") + "\n").utf8)
        var manifest = try ArchiveManifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).manifest.json")))
        manifest.events[0].dataDigest = try HashAlgorithm.sha256.digest(Array(#"{"licence_no":"L-7"}"#.utf8)).hex
        manifest.events[0].lineDigest = try HashAlgorithm.sha256.digest(Array(lines[0].utf8)).hex
        manifest.segment.bytes = UInt64(segment.count)
        manifest.segment.digest = try HashAlgorithm.sha256.digest(segment).hex
        try Data(segment).write(to: URL(fileURLWithPath: "\(folder)/\(name).ndjson"))
        try manifest.encoded().write(to: URL(fileURLWithPath: "\(folder)/\(name).manifest.json"))
        #expect(Self.failure { try log.verifier(directory.path).verify() }?.code == "archive.digest_mismatch")
        // And an entry forged to match is not in the signed tree.
        var entry = try #require(Data(base64Encoded: manifest.events[0].entry!)).map { $0 }
        let digest = try HashAlgorithm.sha256.digest(Array(#"{"licence_no":"L-1"}"#.utf8)).hex
        let forged = String(decoding: entry, as: UTF8.self).replacingOccurrences(of: digest, with: manifest.events[0].dataDigest)
        entry = Array(forged.utf8)
        manifest.events[0].entry = Data(entry).base64EncodedString()
        try manifest.encoded().write(to: URL(fileURLWithPath: "\(folder)/\(name).manifest.json"))
        #expect(Self.failure { try log.verifier(directory.path).verify() }?.code == "archive.not_included")
    }

    @Test func aCheckpointOfAnotherKeyOrAnEmptyDirectoryFails() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(Self.failure { try (try Log()).verifier(directory.path).verify() }?.code == "archive.empty")
        try ArchiveWriter(directory: directory.path).archive(try Log().batch)
        let stranger = try Log()
        do {
            try stranger.verifier(directory.path).verify()
            Issue.record("a checkpoint signed by another key verified")
        } catch {
            #expect(!(error is ArchiveReadError) || (error as? ArchiveReadError)?.code != "archive.digest_mismatch")
        }
    }
}
