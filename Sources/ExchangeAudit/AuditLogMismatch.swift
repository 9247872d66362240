/// Why an audit log does not verify against its checkpoints, naming the first altered entry
/// when the evidence allows.
public struct AuditLogMismatch: Error, Sendable, Hashable, CustomStringConvertible {
    /// The index of the first entry that is wrong, when it could be pinpointed.
    public var entryIndex: UInt64?
    /// The tree size of the checkpoint that exposed the mismatch.
    public var checkpointSize: UInt64
    /// One line saying what is wrong.
    public var message: String

    /// Creates a mismatch.
    public init(entryIndex: UInt64?, checkpointSize: UInt64, message: String) {
        self.entryIndex = entryIndex
        self.checkpointSize = checkpointSize
        self.message = message
    }

    /// The one-line message.
    public var description: String { message }
}
