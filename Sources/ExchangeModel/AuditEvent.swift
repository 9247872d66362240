/// One entry of the exchange's audit log: what happened, who caused it, and its particulars.
///
/// The store stamps each entry with its time and its index in the log and encodes it
/// canonically (see `canonicalBytes(time:)`), so that the Merkle tree over the entries can be
/// recomputed byte for byte by anyone holding an export.
public struct AuditEvent: Hashable, Sendable {
    /// What kind of exchange event an entry records.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The stable name written into the entry, e.g. `published`.
        public let rawValue: String
        /// Creates a kind from its stable name.
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// An event was stored and routed.
        public static let published = Kind("published")
        /// A publish was refused.
        public static let rejected = Kind("rejected")
        /// A consumer acknowledged an event: the receipt.
        public static let acknowledged = Kind("acknowledged")
        /// A queued event was withheld at delivery (agreement revoked, suspended or expired).
        public static let withheld = Kind("withheld")
        /// An event exhausted its deliveries and moved to a dead-letter list.
        public static let deadLettered = Kind("dead_lettered")
        /// A subscription was created, changed or deleted.
        public static let subscriptionChanged = Kind("subscription_changed")
        /// The registry was queried.
        public static let queried = Kind("queried")
        /// Events were replayed.
        public static let replayed = Kind("replayed")
        /// The agreement set was loaded or changed.
        public static let agreementsChanged = Kind("agreements_changed")
        /// A token was created or revoked.
        public static let tokenChanged = Kind("token_changed")
        /// A request was refused for lack of identity or permission.
        public static let accessDenied = Kind("access_denied")
        /// An auditor read the audit log (entries, proofs, checkpoints, filtered events).
        public static let auditRead = Kind("audit_read")
        /// The server's TLS files were re-read (SIGHUP or `POST /v1/admin/reload`), or a re-read failed.
        public static let tlsReloaded = Kind("tls_reloaded")
        /// Someone signed in to or out of the web console.
        public static let consoleSession = Kind("console_session")
        /// An agreement's standing changed: it came into force, lapsed, or was found pending or
        /// lapsed at start (docs/audit-format.md).
        public static let agreementStanding = Kind("agreement_standing")
        /// An agreement in force lapses within the configured warning period.
        public static let agreementExpiring = Kind("agreement_expiring")
        /// An admin set or lifted a legal hold, which keeps what it covers from retention.
        public static let legalHold = Kind("legal_hold")
        /// An operator took a hot backup of the store (`POST /v1/operation/backup`).
        public static let backup = Kind("backup")
        /// A store restored from a backup, or rolled back, was acknowledged and a new epoch of
        /// the log opened: links the old log's last checkpoint and states what was lost.
        public static let epoch = Kind("epoch")
        /// Stands for an audit index a lost part of the log may have used; never reused for
        /// anything else (written when an epoch opens).
        public static let lost = Kind("lost")

        public var description: String { rawValue }
    }

    /// What happened.
    public var kind: Kind
    /// Who caused it: a department id, a token name, or `exchange` for the exchange itself.
    public var actor: String
    /// The particulars, by name. The names `kind`, `actor` and `time` are reserved.
    public var fields: [String: AuditValue]

    /// Creates an audit event.
    /// - Parameters:
    ///   - kind: what happened.
    ///   - actor: who caused it.
    ///   - fields: the particulars; must not use the names `kind`, `actor` or `time`.
    public init(kind: Kind, actor: String, fields: [String: AuditValue] = [:]) {
        precondition(fields["kind"] == nil && fields["actor"] == nil && fields["time"] == nil, "reserved audit field name")
        self.kind = kind
        self.actor = actor
        self.fields = fields
    }
}

/// A value inside an audit entry.
extension AuditEvent {
    /// The longest text an audit entry keeps of a value a client chose (a path, a message id, an
    /// error detail) in UTF-8 bytes; longer values are cut with "…" appended.
    public static let maxClientTextBytes = 256

    /// `text` cut to at most ``maxClientTextBytes`` UTF-8 bytes (at a character boundary), with
    /// "…" appended when it was cut, so that no client can grow an audit entry at will.
    /// - Parameter text: a value the client chose.
    public static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxClientTextBytes else { return text }
        var kept = Substring.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += scalar.utf8.count
            guard bytes <= maxClientTextBytes - 3 else { break }
            kept.append(scalar)
        }
        return String(kept) + "…"
    }
}

public indirect enum AuditValue: Hashable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// Text.
    case string(String)
    /// A whole number.
    case integer(Int64)
    /// A truth value.
    case bool(Bool)
    /// An ordered list.
    case list([AuditValue])
    /// Named values.
    case object([String: AuditValue])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}
