/// A repeat of a publisher's message id whose content differs from the event stored under it:
/// refused, so that the original stays as it is and the new content is not silently lost.
///
/// The writer compares the repeat with the original's record, read by sequence in its own
/// transaction: topic, type, subject and the data bytes (equal bytes are what equal digests of
/// the `published` audit entry stand for). A repeat whose original record is no longer in the
/// log is answered as a duplicate, without this check (architecture.md, "Deduplication horizon").
/// Thrown by the appends of ``ExchangeStore``; an atomic batch holding such a repeat stores none
/// of its events.
///
/// When the original is an earlier event of the same refused batch, it is not stored either:
/// the conflict then names no sequence (``originalSequence`` is `nil`; a sequence taken in the
/// aborted transaction would later be given to another event) and gives both events' positions
/// in the batch instead.
public struct AppendConflict: Error, Hashable, Sendable, CustomStringConvertible {
    /// The publisher (the event's `source`).
    public let publisher: String
    /// The message id both events carry.
    public let messageID: String
    /// The sequence of the original event, which stays as stored; `nil` when the original is an
    /// earlier event of the same batch (see ``originalPosition``), stored no more than the repeat.
    public let originalSequence: UInt64?
    /// For a repeat of an earlier event of the same batch: the original's position in the batch
    /// (from 0); `nil` otherwise.
    public let originalPosition: Int?
    /// For a repeat of an earlier event of the same batch: the repeat's position in the batch
    /// (from 0); `nil` otherwise.
    public let position: Int?
    /// The attributes that differ, in this order where present: `data`, `topic`, `type`, `subject`.
    public let differing: [String]

    /// Creates a conflict with a stored original.
    public init(publisher: String, messageID: String, originalSequence: UInt64, differing: [String]) {
        self.publisher = publisher
        self.messageID = messageID
        self.originalSequence = originalSequence
        self.originalPosition = nil
        self.position = nil
        self.differing = differing
    }

    /// Creates a conflict between two events of one batch, at `originalPosition` and `position`.
    public init(publisher: String, messageID: String, originalPosition: Int, position: Int, differing: [String]) {
        self.publisher = publisher
        self.messageID = messageID
        self.originalSequence = nil
        self.originalPosition = originalPosition
        self.position = position
        self.differing = differing
    }

    public var description: String {
        let differ = differing.joined(separator: ", ")
        if let originalSequence {
            return "message id '\(messageID)' was published as event \(originalSequence) with other content (\(differ) differ)"
        }
        return "message id '\(messageID)' appears at positions \(originalPosition ?? 0) and \(position ?? 0) of the batch with other content (\(differ) differ)"
    }
}
