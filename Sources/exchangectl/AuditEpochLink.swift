import ExchangeAudit
import ExchangeModel

/// What an `epoch` entry states (docs/audit-format.md §7, §10), every number range-checked:
/// `nil` members were missing or out of range, and the link check names them.
struct EpochEntryFields: Sendable, Hashable {
    /// The entry's audit index.
    var index: UInt64
    var epoch: UInt64?
    var restoredAuditSize: UInt64?
    var lostAuditFrom: UInt64?
    var lostAuditTo: UInt64?
    /// The old log's latest signed checkpoint note, when the watermark recorded one.
    var previousCheckpoint: String?
    /// `previous_checkpoint_size` when present and in range; ``previousCheckpointSizeInvalid``
    /// tells a present but malformed one apart.
    var previousCheckpointSize: UInt64?
    var previousCheckpointSizeInvalid = false
    var watermark: Bool?

    /// A whole number of an entry's JSON, within `0...Int64.max` as the exchange writes them.
    static func count(_ value: JSONValue?) -> UInt64? {
        guard case .number(let number)? = value, number.text.count <= 19, number.text.allSatisfy(\.isASCII),
            number.text.allSatisfy(\.isNumber), let parsed = UInt64(number.text), parsed <= UInt64(Int64.max)
        else { return nil }
        return parsed
    }

    init(index: UInt64, entry value: JSONValue) {
        self.index = index
        epoch = Self.count(value["epoch"])
        restoredAuditSize = Self.count(value["restored_audit_size"])
        lostAuditFrom = Self.count(value["lost_audit_from"])
        lostAuditTo = Self.count(value["lost_audit_to"])
        previousCheckpoint = value["previous_checkpoint"]?.stringValue
        if let size = value["previous_checkpoint_size"] {
            previousCheckpointSize = Self.count(size)
            previousCheckpointSizeInvalid = previousCheckpointSize == nil
        }
        if case .bool(let flag)? = value["watermark"] { watermark = flag }
    }
}

/// Reads a log's entries in order and keeps what the link between a checkpoint saved from an
/// earlier epoch of the log and this log needs (docs/audit-format.md §10): the `epoch` entry
/// that forked the log below the saved checkpoint's size, the runs of `lost` entries, and the
/// log's root where each run starts (the root of the restored prefix).
///
/// Entries are fed with their leaf hashes; only entries whose bytes hold `"kind":"lost"` or
/// `"kind":"epoch"` are parsed (in canonical JSON such bytes cannot occur inside a string, and
/// the parse checks that the kind is the entry's own).
struct EpochLinkScanner {
    /// A run of consecutive `lost` entries of one epoch, each replacing its own index.
    struct LostRun: Sendable, Hashable {
        var epoch: UInt64
        var indices: Range<UInt64>
        /// The log's root at size `indices.lowerBound`.
        var rootBefore: Digest
    }

    /// The saved checkpoint's size.
    let savedSize: UInt64
    /// The last epoch entry below ``savedSize`` that forked the log below it (or could not be
    /// read), and the first epoch entry at or above it.
    private(set) var epochBelow: EpochEntryFields?
    private(set) var epochAbove: EpochEntryFields?
    private(set) var lostRuns: [LostRun] = []
    private var range: MerkleCompactRange

    init(savedSize: UInt64, tree: MerkleTree) {
        self.savedSize = savedSize
        range = MerkleCompactRange(tree: tree)
    }

    private static let lostMarker = Array(#""kind":"lost""#.utf8)
    /// The bytes that every `epoch` entry holds.
    static let epochMarker = Array(#""kind":"epoch""#.utf8)

    /// Adds the next entry (indices from 0, in order, as the verifier checked them).
    mutating func append(index: UInt64, entry: [UInt8], leafHash: Digest) throws {
        if entry.contains(subsequence: Self.lostMarker) {
            try lost(index: index, entry: entry)
        } else if epochAbove == nil, entry.contains(subsequence: Self.epochMarker),
            let value = try? JSONValue.parse(entry), value["kind"]?.stringValue == "epoch"
        {
            let fields = EpochEntryFields(index: index, entry: value)
            if index >= savedSize {
                epochAbove = fields
            } else if fields.restoredAuditSize.map({ $0 < savedSize }) ?? true {
                epochBelow = fields
            }
        }
        try range.append(leafHash: leafHash)
    }

    private mutating func lost(index: UInt64, entry: [UInt8]) throws {
        guard let value = try? JSONValue.parse(entry), value["kind"]?.stringValue == "lost",
            let epoch = EpochEntryFields.count(value["epoch"]), EpochEntryFields.count(value["replaces"]) == index
        else { return }
        if let last = lostRuns.last, last.epoch == epoch, last.indices.upperBound == index {
            lostRuns[lostRuns.count - 1].indices = last.indices.lowerBound..<(index + 1)
        } else {
            lostRuns.append(LostRun(epoch: epoch, indices: index..<(index + 1), rootBefore: try range.root()))
        }
    }

    /// The epoch entry whose restore forked the log below the saved size: the first at or above
    /// it when that one's restore lies below it (or cannot be read), else the last below it;
    /// `nil` when no epoch entry forked the log below the saved size.
    var fork: EpochEntryFields? {
        if let epochAbove, epochAbove.restoredAuditSize.map({ $0 < savedSize }) ?? true { return epochAbove }
        return epochBelow
    }
}

/// The link between a checkpoint saved from an earlier epoch of the log and the epoch entry
/// that opened the log verified now, as established by ``check(saved:fork:lostRuns:verify:)``.
struct EpochLink: Sendable, Hashable {
    /// Where the log forked: the restored log's size.
    var forkedAt: UInt64
    /// The `epoch` entry's index and its epoch.
    var entryIndex: UInt64
    var epoch: UInt64
    /// The first index not lost.
    var lostAuditTo: UInt64
    /// The saved checkpoint's size, and that of the old log's checkpoint the epoch entry carries.
    var savedSize: UInt64
    var previousSize: UInt64
    /// The new log's root at ``forkedAt`` (to compare with the old log's).
    var rootAtFork: Digest?

    /// Why the link does not hold: the check that failed, one line.
    struct Failure: Error, Hashable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Checks the link (docs/audit-format.md §10, "The link") from what a verified log's entries
    /// state.
    /// - Parameters:
    ///   - saved: the checkpoint saved from the old log (its signature verified).
    ///   - fork: the epoch entry (``EpochLinkScanner/fork``).
    ///   - lostRuns: the log's runs of `lost` entries (``EpochLinkScanner/lostRuns``).
    ///   - verify: verifies a signed checkpoint note with the pinned keys.
    /// - Throws: ``Failure`` naming the first check that does not hold.
    static func check(
        saved: Checkpoint, fork: EpochEntryFields, lostRuns: [EpochLinkScanner.LostRun], verify: (String) throws -> Checkpoint
    ) throws(Failure) -> EpochLink {
        let entry = "the epoch entry \(fork.index)"
        guard let epoch = fork.epoch else { throw Failure("\(entry) has no epoch number in range") }
        guard let restored = fork.restoredAuditSize else { throw Failure("\(entry) has no restored_audit_size in range") }
        guard let from = fork.lostAuditFrom, let to = fork.lostAuditTo else {
            throw Failure("\(entry) has no lost_audit_from and lost_audit_to in range")
        }
        guard from == restored, from <= to, to == fork.index else {
            throw Failure(
                "\(entry) states lost indices \(from)..<\(to) after a restored log of \(restored) entries: "
                    + "they must start at restored_audit_size and end at the epoch entry's own index")
        }
        guard restored < saved.treeSize else {
            throw Failure("\(entry) restored \(restored) entries, not fewer than the saved checkpoint's \(saved.treeSize): it did not fork that log")
        }
        guard to >= saved.treeSize else {
            throw Failure(
                "\(entry) states lost_audit_to \(to), below the saved checkpoint's size \(saved.treeSize): "
                    + "indices \(to)..<\(saved.treeSize), which the old log had signed, were given to other entries")
        }
        guard let note = fork.previousCheckpoint else {
            throw Failure(
                "\(entry) carries no checkpoint of the old log (watermark: \(fork.watermark.map(String.init) ?? "missing")): "
                    + "the link cannot be checked; treat entries from \(restored) that the old log held as disputed")
        }
        let previous: Checkpoint
        do {
            previous = try verify(note)
        } catch {
            throw Failure("\(entry): its previous_checkpoint does not verify with the pinned key(s): \(error)")
        }
        guard !fork.previousCheckpointSizeInvalid, fork.previousCheckpointSize.map({ $0 == previous.treeSize }) ?? true else {
            throw Failure("\(entry): previous_checkpoint_size is not the size its previous_checkpoint states (\(previous.treeSize))")
        }
        guard previous.origin == saved.origin, previous.hashAlgorithm == saved.hashAlgorithm else {
            throw Failure("\(entry): its previous_checkpoint is of another log or hash function than the saved checkpoint")
        }
        guard previous.treeSize >= saved.treeSize else {
            throw Failure(
                "\(entry) carries the old log's checkpoint of size \(previous.treeSize), smaller than the saved one (\(saved.treeSize)): "
                    + "the watermark was older than what was seen of the old log; report it to the exchange's operators")
        }
        guard previous.treeSize > saved.treeSize || previous.rootHash == saved.rootHash else {
            throw Failure(
                "\(entry) carries a checkpoint of size \(previous.treeSize) whose root differs from the saved checkpoint's of the same size: "
                    + "the old log itself forked")
        }
        guard to >= previous.treeSize else {
            throw Failure("\(entry) states lost_audit_to \(to), below the size of the old log's checkpoint it carries (\(previous.treeSize))")
        }
        var next = restored
        var rootAtFork: Digest?
        for run in lostRuns where run.epoch == epoch && run.indices.lowerBound <= next && run.indices.upperBound > next {
            if run.indices.lowerBound == restored { rootAtFork = run.rootBefore }
            next = run.indices.upperBound
            if next >= to { break }
        }
        guard next >= to else {
            throw Failure("index \(next) does not hold a lost entry of epoch \(epoch) whose replaces is its index (\(entry) states \(restored)..<\(to) lost)")
        }
        return EpochLink(
            forkedAt: restored, entryIndex: fork.index, epoch: epoch, lostAuditTo: to, savedSize: saved.treeSize, previousSize: previous.treeSize,
            rootAtFork: rootAtFork)
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the bytes.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= count else { return false }
        var start = startIndex
        while let found = self[start...].firstIndex(of: first) {
            guard found + needle.count <= count else { return false }
            if self[found..<(found + needle.count)].elementsEqual(needle) { return true }
            start = found + 1
        }
        return false
    }
}
