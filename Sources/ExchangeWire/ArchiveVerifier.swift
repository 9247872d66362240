public import ExchangeAudit
import ExchangeModel
import Foundation

/// Verifies an archive directory: for every archived event, that its data's digest is the
/// `data_digest` of its `published` audit entry, that the entry is the one of this event and is
/// included in the segment's signed checkpoint, and that the checkpoint is signed by a trusted
/// key; and that each segment file and line is the one its manifest states.
///
/// ```swift
/// let summary = try ArchiveVerifier(directory: dir) { note in try Checkpoint(verifying: note, using: [verifier]) }.verify()
/// ```
public struct ArchiveVerifier {
    /// What a verification covered.
    public struct Summary: Sendable, Equatable {
        public var topics = 0
        public var segments = 0
        public var events = 0
        public init() {}
    }

    let reader: ArchiveReader
    let checkpoint: (String) throws -> Checkpoint

    /// - Parameters:
    ///   - directory: the archive directory.
    ///   - checkpoint: verifies a signed checkpoint note with the trusted keys and parses it;
    ///     what it throws fails the verification as it is (an ``ArchiveReadError`` keeps its code).
    public init(directory: String, checkpoint: @escaping (String) throws -> Checkpoint) {
        self.reader = ArchiveReader(directory: directory)
        self.checkpoint = checkpoint
    }

    /// Verifies every segment of every topic; `progress` is called after each segment.
    /// - Throws: ``ArchiveReadError`` naming the first failure.
    @discardableResult
    public func verify(progress: (Summary) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        for topic in try reader.topics() {
            summary.topics += 1
            var previous: UInt64?
            for segment in try reader.segments(topic: topic) {
                let manifest = segment.manifest
                guard manifest.topic == topic else {
                    throw ArchiveReadError(code: "archive.malformed", detail: "\(segment.manifestPath): names topic \(manifest.topic), not \(topic)")
                }
                if let previous, manifest.firstSequence <= previous {
                    throw ArchiveReadError(
                        code: "archive.overlap", detail: "\(segment.manifestPath): starts at \(manifest.firstSequence), within an earlier segment (through \(previous))")
                }
                previous = manifest.lastSequence
                try verify(segment)
                summary.segments += 1
                summary.events += manifest.events.count
                progress(summary)
            }
        }
        guard summary.segments > 0 else {
            throw ArchiveReadError(code: "archive.empty", detail: "\(reader.directory) holds no archive segment")
        }
        return summary
    }

    private func entrySequence(_ value: JSONValue?) -> String? {
        if case .number(let number)? = value?["sequence"] { return number.text }
        return nil
    }

    /// Verifies one segment against its manifest and the signed checkpoint.
    func verify(_ segment: ArchiveReader.Segment) throws {
        let manifest = segment.manifest
        let file = segment.segmentPath
        let signed = try checkpoint(manifest.checkpoint.note)
        guard signed.treeSize == manifest.checkpoint.treeSize else {
            throw ArchiveReadError(
                code: "archive.malformed", detail: "\(segment.manifestPath): the checkpoint states size \(signed.treeSize), the manifest \(manifest.checkpoint.treeSize)")
        }
        let hash = signed.hashAlgorithm
        guard hash.rawValue == manifest.hash else {
            throw ArchiveReadError(code: "archive.malformed", detail: "\(segment.manifestPath): hash \(manifest.hash), but the log's is \(hash.rawValue)")
        }
        let tree = MerkleTree(algorithm: hash)
        let (bytes, lines) = try reader.lines(of: segment)
        guard lines.count == manifest.events.count else {
            throw ArchiveReadError(code: "archive.malformed", detail: "\(file): \(lines.count) lines, the manifest names \(manifest.events.count) events")
        }
        for (position, (line, expected)) in zip(lines, manifest.events).enumerated() {
            let place = "\(file) line \(position + 1) (event \(expected.sequence))"
            let event: ArchivedLine
            do {
                event = try ArchivedLine(line)
            } catch {
                throw ArchiveReadError(code: "archive.malformed", detail: "\(place): \(error)")
            }
            guard event.sequence == expected.sequence, (manifest.firstSequence...manifest.lastSequence).contains(expected.sequence) else {
                throw ArchiveReadError(code: "archive.malformed", detail: "\(place): the line holds sequence \(event.attributes["sequence"] ?? "none")")
            }
            guard let index = expected.auditIndex, let encoded = expected.entry, let entry = Data(base64Encoded: encoded) else {
                throw ArchiveReadError(code: "archive.unproven", detail: "\(place): no audit entry is archived with the event (stored before format 5)")
            }
            // The evidence: the data's digest is the published entry's data_digest.
            let digest = try hash.digest(event.data).hex
            let entryValue = try? JSONValue.parse(Array(entry))
            let recorded = entryValue?["data_digest"]?.stringValue
            guard digest == recorded else {
                throw ArchiveReadError(
                    code: "archive.digest_mismatch", detail: "\(place): the data's digest \(digest) is not its published audit entry's data_digest \(recorded ?? "none")")
            }
            guard entryValue?["kind"]?.stringValue == "published", entrySequence(entryValue) == String(expected.sequence),
                entryValue?["message_id"]?.stringValue == event.attributes["id"], entryValue?["topic"]?.stringValue == manifest.topic,
                event.attributes["topic"] == manifest.topic, event.attributes[ArchiveSegment.auditIndexAttribute] == String(index)
            else {
                throw ArchiveReadError(code: "archive.entry_mismatch", detail: "\(place): audit entry \(index) is not the published entry of this event")
            }
            guard digest == expected.dataDigest, try hash.digest(line).hex == expected.lineDigest else {
                throw ArchiveReadError(code: "archive.digest_mismatch", detail: "\(place): the line is not the one its manifest states")
            }
            let proof: [Digest]
            do {
                proof = try expected.proof.map { try Digest(base64: $0) }
                try tree.verifyInclusion(
                    leafHash: try tree.leafHash(entry), leafIndex: index, treeSize: signed.treeSize, proof: proof, root: signed.rootHash)
            } catch {
                throw ArchiveReadError(
                    code: "archive.not_included", detail: "\(place): audit entry \(index) is not included in the checkpoint of size \(signed.treeSize): \(error)")
            }
        }
        guard UInt64(bytes.count) == manifest.segment.bytes, try hash.digest(bytes).hex == manifest.segment.digest else {
            throw ArchiveReadError(code: "archive.digest_mismatch", detail: "\(file): the file is not the one its manifest states (size or digest)")
        }
    }
}
