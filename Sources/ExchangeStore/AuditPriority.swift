/// How far an audit entry may go into the publish reserve when the store is full
/// (``StoreMapLimits``).
public enum AuditPriority: Sendable, Hashable {
    /// Entries the exchange needs to keep working and accountable: configuration loads, token
    /// and TLS changes, legal holds, checkpoints' neighbours. They may fill the whole reserve.
    case essential
    /// Entries of reads and refusals, which any caller can cause at will: they may fill only the
    /// first half of the reserve, so reads never use up what acknowledgements need. Past it the
    /// read is refused with `store.full`, and a refusal is still answered (its entry is lost and
    /// the loss logged).
    case reads
}
