/// A repeat of a publisher's message id whose content differs from the event stored under it:
/// refused, so that the original stays as it is and the new content is not silently lost.
///
/// The writer compares the repeat with the original's record, read by sequence in its own
/// transaction: topic, type, subject and the data bytes (equal bytes are what equal digests of
/// the `published` audit entry stand for). A repeat whose original record is no longer in the
/// log is answered as a duplicate, without this check (architecture.md, "Deduplication horizon").
/// Thrown by the appends of ``ExchangeStore``; an atomic batch holding such a repeat stores none
/// of its events.
public struct AppendConflict: Error, Hashable, Sendable, CustomStringConvertible {
    /// The publisher (the event's `source`).
    public let publisher: String
    /// The message id both events carry.
    public let messageID: String
    /// The sequence of the original event, which stays as stored.
    public let originalSequence: UInt64
    /// The attributes that differ, in this order where present: `data`, `topic`, `type`, `subject`.
    public let differing: [String]

    /// Creates a conflict.
    public init(publisher: String, messageID: String, originalSequence: UInt64, differing: [String]) {
        self.publisher = publisher
        self.messageID = messageID
        self.originalSequence = originalSequence
        self.differing = differing
    }

    public var description: String {
        "message id '\(messageID)' was published as event \(originalSequence) with other content (\(differing.joined(separator: ", ")) differ)"
    }
}
