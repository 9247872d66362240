public import ExchangeEngine
import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes retention's archive segments into one directory (`retention.archive_directory`): per
/// batch one segment of NDJSON lines (``ArchiveSegment/line(_:)``) and its
/// ``ArchiveManifest``, each written under a temporary name, synced, renamed into place, and the
/// directory synced, so that a manifest on disk always names a whole segment.
///
/// Writing is idempotent: a segment is named by its topic and sequences, a batch whose segment
/// already exists is not written again, and ``archivedThrough(topic:)`` (read from the
/// directory once, then kept) lets the exchange skip events an interrupted step archived but
/// did not remove.
///
/// ```swift
/// let archiver = try ArchiveWriter(directory: "/srv/exchange-archive")
/// let retention = RetentionService(exchange: exchange, configuration: configuration, archiver: archiver, logger: logger)
/// ```
public final class ArchiveWriter: EventArchiver {
    /// The archive directory.
    public let directory: String
    private let through = Mutex<[String: UInt64?]>([:])

    /// Opens the archive directory, creating it (mode 0750) when it does not exist.
    /// - Throws: ``ArchiveWriteError`` when it cannot be created or is not a writable directory.
    public init(directory: String) throws {
        self.directory = directory
        try Self.makeDirectory(directory)
        guard access(directory, W_OK | X_OK) == 0 else {
            throw ArchiveWriteError("\(directory): the archive directory is not writable")
        }
    }

    /// The last sequence of `topic` a whole segment in the directory holds.
    public func archivedThrough(topic: String) throws -> UInt64? {
        if let known = through.withLock({ $0[topic] }) { return known }
        let found = try Self.lastSegment(in: topicDirectory(topic))
        through.withLock { $0[topic] = .some(found) }
        return found
    }

    /// Writes `batch` as one segment and its manifest, synced; does nothing when that segment exists.
    public func archive(_ batch: ArchiveBatch) throws {
        guard let first = batch.events.first?.event.sequence, let last = batch.events.last?.event.sequence else { return }
        let folder = try topicDirectory(batch.topic)
        let name = ArchiveSegment.name(first: first, last: last)
        let manifestPath = "\(folder)/\(name).manifest.json"
        if !FileManager.default.fileExists(atPath: manifestPath) {
            let hash = try Self.hashAlgorithm(of: batch.checkpoint.note)
            var segment: [UInt8] = []
            var events: [ArchiveManifest.Event] = []
            for (position, event) in batch.events.enumerated() {
                let line = ArchiveSegment.line(event)
                let dataDigest = try hash.digest(event.event.envelope.data).hex
                if event.auditIndex != nil {
                    let recorded = (try? JSONValue.parse(event.auditEntry))?["data_digest"]?.stringValue
                    guard recorded == dataDigest else {
                        throw ArchiveWriteError("event \(event.event.sequence): its data digest \(dataDigest) is not its audit entry's \(recorded ?? "none")")
                    }
                }
                events.append(
                    ArchiveManifest.Event(
                        sequence: event.event.sequence, auditIndex: event.auditIndex, dataDigest: dataDigest, lineDigest: try hash.digest(line).hex,
                        entry: event.auditIndex == nil ? nil : Data(event.auditEntry).base64EncodedString(),
                        proof: position < batch.proofs.count ? batch.proofs[position].map(\.base64) : []))
                segment.append(contentsOf: line)
                segment.append(0x0A)
            }
            let manifest = ArchiveManifest(
                format: ArchiveManifest.currentFormat, topic: batch.topic, firstSequence: first, lastSequence: last, hash: hash.rawValue,
                archivedAt: RFC3339.format(nanoseconds: UInt64(max(0, Date().timeIntervalSince1970) * 1_000_000_000)),
                segment: .init(file: "\(name).ndjson", bytes: UInt64(segment.count), digest: try hash.digest(segment).hex),
                checkpoint: .init(treeSize: batch.checkpoint.treeSize, note: batch.checkpoint.note), events: events)
            // The segment first: a manifest on disk always names a whole segment.
            try Self.writeDurably(segment, to: "\(folder)/\(name).ndjson", folder: folder)
            try Self.writeDurably(Array(try manifest.encoded()), to: manifestPath, folder: folder)
        }
        through.withLock { known in
            let previous = known[batch.topic] ?? nil
            known[batch.topic] = .some(max(previous ?? 0, last))
        }
    }

    /// The topic's directory, created (and the archive directory synced) on first use.
    private func topicDirectory(_ topic: String) throws -> String {
        guard ArchiveSegment.isDirectoryName(topic) else { throw ArchiveWriteError("topic \(topic) cannot name a directory") }
        let folder = "\(directory)/\(topic)"
        if !FileManager.default.fileExists(atPath: folder) {
            try Self.makeDirectory(folder)
            try Self.sync(directory: directory)
        }
        return folder
    }

    /// The last sequence of the newest segment of `folder` whose manifest reads and whose
    /// segment file has the size the manifest states.
    static func lastSegment(in folder: String) throws -> UInt64? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let manifests = files.compactMap { file in ArchiveSegment.range(ofManifest: file).map { (file, $0.last) } }.sorted { $0.1 > $1.1 }
        for (file, last) in manifests {
            guard let data = FileManager.default.contents(atPath: "\(folder)/\(file)"), let manifest = try? ArchiveManifest.decode(data),
                manifest.lastSequence == last,
                let size = (try? FileManager.default.attributesOfItem(atPath: "\(folder)/\(manifest.segment.file)"))?[.size] as? NSNumber,
                size.uint64Value == manifest.segment.bytes
            else { continue }
            return last
        }
        return nil
    }

    static func hashAlgorithm(of note: String) throws -> HashAlgorithm {
        do {
            return try Checkpoint(text: try SignedNote(parsing: note).text).hashAlgorithm
        } catch {
            throw ArchiveWriteError("the checkpoint does not parse: \(error)")
        }
    }

    private static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw ArchiveWriteError("\(path): cannot create the archive directory: \(error.localizedDescription)")
        }
    }

    /// Writes `bytes` to a temporary file beside `path`, syncs it, renames it to `path`, and syncs `folder`.
    static func writeDurably(_ bytes: [UInt8], to path: String, folder: String) throws {
        let temporary = folder + "/." + (path.split(separator: "/").last.map(String.init) ?? "segment") + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw ArchiveWriteError("\(temporary): cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw ArchiveWriteError("\(temporary): cannot write: \(reason)")
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ArchiveWriteError("\(temporary): cannot sync: \(reason)")
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw ArchiveWriteError("\(path): cannot rename into place: \(String(cString: strerror(errno)))") }
        try sync(directory: folder)
    }

    static func sync(directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ArchiveWriteError("\(directory): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ArchiveWriteError("\(directory): cannot sync: \(String(cString: strerror(errno)))") }
    }
}

/// Why the archive could not be written; the retention step that needed it removes nothing.
public struct ArchiveWriteError: Error, Sendable, CustomStringConvertible {
    /// What failed.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "archive.write_failed: \(message)" }
}
