import ExchangeAudit
public import ExchangeModel

/// A value the audit log is indexed by (`audit_filters`): a filtered read of the log walks
/// the index entries of one such value instead of the whole log.
///
/// Each audit entry gets one index key per value it names, in the transaction that writes the
/// entry (``BatchContext``):
/// - ``subject(_:)``: the `subject` member (the event's subject: a licence or case number);
/// - ``department(_:)``: the `actor`, `department`, `consumer` and `owner` members and each
///   route's `consumer`;
/// - ``agreement(_:)``: the `agreement` member and each route's `agreement`;
/// - ``kind(_:)``: the `kind` member;
/// - ``sequence(_:)``: the `sequence` member of an entry other than `published` (the
///   acknowledgements, withholdings and dead letters of one event);
/// - ``endpoint(_:)``: the `endpoint` member of an `audit_read` entry (who read a page).
///
/// The key is a tag byte, the value and the entry's index (8 bytes, big-endian), so one value's
/// entries are adjacent in index order. A text value of up to ``maxInlineBytes`` UTF-8 bytes is
/// stored as its length (one byte) and its bytes; a longer one as 0xFF and its SHA-256 digest,
/// so every key stays under LMDB's 511 bytes. Two long values could share a digest: readers
/// check each entry against the filter they were asked for.
public enum AuditFilterKey: Hashable, Sendable {
    /// Entries whose `subject` is the value.
    case subject(String)
    /// Entries naming the department (actor, department, consumer, owner, a route's consumer).
    case department(String)
    /// Entries naming the agreement (its own or a route's).
    case agreement(String)
    /// Entries of the kind.
    case kind(String)
    /// Entries other than `published` about event `sequence`.
    case sequence(UInt64)
    /// `audit_read` entries of the endpoint.
    case endpoint(String)

    /// The longest text value kept as it is in a key; longer values are hashed.
    public static let maxInlineBytes = 200
    /// The longest key prefix: a tag, a length and ``maxInlineBytes`` bytes (a digest is
    /// shorter); with the entry's index, 210 bytes.
    static let maxPrefixBytes = 2 + maxInlineBytes

    /// The key's bytes before the entry's index.
    var prefix: [UInt8] {
        switch self {
        case .subject(let value): Self.text(1, value)
        case .department(let value): Self.text(2, value)
        case .agreement(let value): Self.text(3, value)
        case .kind(let value): Self.text(4, value)
        case .sequence(let value): [5] + BigEndianKey.u64(value)
        case .endpoint(let value): Self.text(6, value)
        }
    }

    /// The full key of the entry at `index`.
    func key(index: UInt64) -> [UInt8] {
        prefix + BigEndianKey.u64(index)
    }

    private static func text(_ tag: UInt8, _ value: String) -> [UInt8] {
        let bytes = Array(value.utf8)
        guard bytes.count > maxInlineBytes else { return [tag, UInt8(bytes.count)] + bytes }
        // SHA-256 cannot fail on a byte array; an empty digest would only make the key coarser.
        let digest = (try? HashAlgorithm.sha256.digest(bytes)).map { $0.withUnsafeBytes { Array($0) } } ?? []
        return [tag, 0xFF] + digest
    }

    /// The values `entry` (a parsed canonical audit entry) is indexed by, each once.
    public static func keys(of entry: JSONValue) -> [AuditFilterKey] {
        var keys: [AuditFilterKey] = []
        func add(_ key: AuditFilterKey) {
            if !keys.contains(key) { keys.append(key) }
        }
        let kind = entry["kind"]?.stringValue
        if let kind { add(.kind(kind)) }
        if let subject = entry["subject"]?.stringValue { add(.subject(subject)) }
        for member in ["actor", "department", "consumer", "owner"] {
            if let name = entry[member]?.stringValue { add(.department(name)) }
        }
        if let agreement = entry["agreement"]?.stringValue { add(.agreement(agreement)) }
        if case .array(let routes)? = entry["routes"] {
            for route in routes {
                if let consumer = route["consumer"]?.stringValue { add(.department(consumer)) }
                if let agreement = route["agreement"]?.stringValue { add(.agreement(agreement)) }
            }
        }
        if kind != AuditEvent.Kind.published.rawValue, case .number(let number)? = entry["sequence"], let sequence = UInt64(number.text) {
            add(.sequence(sequence))
        }
        if kind == AuditEvent.Kind.auditRead.rawValue, let endpoint = entry["endpoint"]?.stringValue {
            add(.endpoint(endpoint))
        }
        return keys
    }

    /// The values the entry of `event` is indexed by, each once: what ``keys(of:)-(JSONValue)``
    /// gives for the entry's canonical text (the fields, with `kind` and `actor` over any field
    /// of those names), computed from the event without writing and parsing that text.
    public static func keys(of event: AuditEvent) -> [AuditFilterKey] {
        var keys: [AuditFilterKey] = []
        func add(_ key: AuditFilterKey) {
            if !keys.contains(key) { keys.append(key) }
        }
        func text(_ value: AuditValue?) -> String? {
            if case .string(let text)? = value { text } else { nil }
        }
        let fields = event.fields
        let kind = event.kind.rawValue
        add(.kind(kind))
        if let subject = text(fields["subject"]) { add(.subject(subject)) }
        add(.department(event.actor))
        for member in ["department", "consumer", "owner"] {
            if let name = text(fields[member]) { add(.department(name)) }
        }
        if let agreement = text(fields["agreement"]) { add(.agreement(agreement)) }
        if case .list(let routes)? = fields["routes"] {
            for case .object(let route) in routes {
                if let consumer = text(route["consumer"]) { add(.department(consumer)) }
                if let agreement = text(route["agreement"]) { add(.agreement(agreement)) }
            }
        }
        if kind != AuditEvent.Kind.published.rawValue, case .integer(let sequence)? = fields["sequence"], sequence >= 0 {
            add(.sequence(UInt64(sequence)))
        }
        if kind == AuditEvent.Kind.auditRead.rawValue, let endpoint = text(fields["endpoint"]) {
            add(.endpoint(endpoint))
        }
        return keys
    }

    /// The key prefixes of the canonical entry `bytes`; none when they do not parse (what the
    /// store writes always does).
    static func prefixes(ofCanonical bytes: [UInt8]) -> [[UInt8]] {
        guard let entry = try? JSONValue.parse(bytes) else { return [] }
        return keys(of: entry).map(\.prefix)
    }

    /// The key prefixes of the `published` entry of an event from `publisher` about `subject`
    /// routed by `routes`: what ``keys(of:)`` gives for that entry, computed without it.
    static func publishedPrefixes(publisher: String, subject: String?, routes: [StoredRoute]) -> [[UInt8]] {
        var keys: [AuditFilterKey] = [.kind(AuditEvent.Kind.published.rawValue)]
        if let subject { keys.append(.subject(subject)) }
        keys.append(.department(publisher))
        for route in routes {
            let consumer = AuditFilterKey.department(route.consumer)
            if !keys.contains(consumer) { keys.append(consumer) }
            let agreement = AuditFilterKey.agreement(route.agreement)
            if !keys.contains(agreement) { keys.append(agreement) }
        }
        return keys.map(\.prefix)
    }
}
