import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the watermark file records: the highest numbers the store may have handed out, and the
/// latest signed checkpoint it kept (docs/operations.md, "Backup and restore").
public struct WatermarkRecord: Codable, Sendable, Hashable {
    /// No event sequence above this was ever handed out.
    public var sequenceCeiling: UInt64
    /// No audit index at or above this was ever handed out (the audit log never held more
    /// entries than this).
    public var auditCeiling: UInt64
    /// The tree size of the latest checkpoint kept; 0 when none.
    public var checkpointSize: UInt64
    /// That checkpoint's signed note; empty when none.
    public var checkpointNote: String

    /// Creates a record.
    public init(sequenceCeiling: UInt64 = 0, auditCeiling: UInt64 = 0, checkpointSize: UInt64 = 0, checkpointNote: String = "") {
        self.sequenceCeiling = sequenceCeiling
        self.auditCeiling = auditCeiling
        self.checkpointSize = checkpointSize
        self.checkpointNote = checkpointNote
    }

    enum CodingKeys: String, CodingKey {
        case sequenceCeiling = "sequence_ceiling"
        case auditCeiling = "audit_ceiling"
        case checkpointSize = "checkpoint_size"
        case checkpointNote = "checkpoint_note"
    }
}

/// The watermark file (`store.watermark`): kept on another disk than the store, it records
/// ceilings above every event sequence and audit index the store handed out, and the latest
/// checkpoint, so that a store restored from a backup, or rolled back by hand, is found at
/// start and never reuses a number clients or auditors may have seen.
///
/// The writer raises the ceilings a block at a time before the commit that would pass half of
/// the block left, writing the file durably (a temporary file, fsync, rename, fsync of the
/// directory) before that commit: every number ever acknowledged is below a ceiling on disk.
final class Watermark: Sendable {
    /// The file's path.
    let path: String
    /// How far ahead of the numbers in use the ceilings are raised.
    let block: UInt64
    private let current: Mutex<WatermarkRecord>

    /// Reads the file at `path`, or starts from nothing when it does not exist.
    /// - Throws: `store.watermark_failed` when the file exists but cannot be read or decoded.
    init(path: String, block: UInt64) throws {
        self.path = path
        self.block = max(2, block)
        current = Mutex(try Self.read(path: path) ?? WatermarkRecord())
    }

    /// The record as last written.
    var record: WatermarkRecord { current.withLock { $0 } }

    /// The record in the file at `path`, or `nil` when there is no file.
    static func read(path: String) throws -> WatermarkRecord? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(code: .watermarkFailed, message: "cannot read the watermark file \(path)")
        }
        do {
            return try JSONDecoder().decode(WatermarkRecord.self, from: data)
        } catch {
            throw StoreError(
                code: .watermarkFailed, message: "the watermark file \(path) is not one this exchange wrote",
                underlying: String(describing: error))
        }
    }

    /// Makes sure the file covers a commit that leaves `nextSequence` and `auditCount`, and
    /// records `checkpoint` when given: raises the ceilings a block ahead once less than half a
    /// block is left, and writes the file durably. Called on the writer thread before the
    /// commit.
    /// - Throws: `store.watermark_failed` when the file cannot be written: the commit must not go on.
    func cover(nextSequence: UInt64, auditCount: UInt64, checkpoint: StoredCheckpoint?) throws {
        let old = record
        let lastSequence = nextSequence &- 1
        let half = block / 2
        var new = old
        if lastSequence > old.sequenceCeiling &- min(half, old.sequenceCeiling) || lastSequence > old.sequenceCeiling {
            new.sequenceCeiling = max(old.sequenceCeiling, lastSequence.addingReportingOverflow(block).partialValue)
        }
        if auditCount > old.auditCeiling &- min(half, old.auditCeiling) || auditCount > old.auditCeiling {
            new.auditCeiling = max(old.auditCeiling, auditCount.addingReportingOverflow(block).partialValue)
        }
        if let checkpoint, checkpoint.treeSize > old.checkpointSize {
            new.checkpointSize = checkpoint.treeSize
            new.checkpointNote = checkpoint.note
        }
        guard new != old else { return }
        try write(new)
        current.withLock { $0 = new }
    }

    /// Writes `record` durably: a temporary file beside the watermark, fsync, rename over it,
    /// fsync of the directory.
    func write(_ record: WatermarkRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let bytes: Data
        do { bytes = try encoder.encode(record) } catch {
            throw StoreError(code: .watermarkFailed, message: "cannot encode the watermark", underlying: "\(error)")
        }
        try Self.writeDurably(Array(bytes) + [0x0A], to: path)
    }

    /// Writes `bytes` to `path` so that after a crash the file holds either the old or the new
    /// contents, and the new ones once this returned.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        func failure(_ what: String) -> StoreError {
            StoreError(code: .watermarkFailed, message: "cannot \(what) the watermark file \(path)", underlying: String(cString: strerror(errno)))
        }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                close(descriptor)
                throw failure("write")
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            close(descriptor)
            throw failure("fsync")
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw failure("rename") }
        let directory = (path as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("open the directory of") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("fsync the directory of") }
    }
}
