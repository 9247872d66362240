import ExchangeAudit
import ExchangeModel

/// An append encoded on the caller's thread, so that the writer thread only copies bytes:
/// the record (its receive time is patched in at commit), the dedup id, the topic and routes,
/// the registry input, and the `published` audit entry in three parts around the members the writer stamps.
struct PreparedAppend: Sendable {
    let record: [UInt8]
    let source: String
    let id: String
    let topic: String
    let routes: [StoredRoute]
    let audit: PublishedAuditTemplate
    /// What the event does to its registry entry, read from its data here, off the writer.
    let registry: RegistryInput?

    /// Encodes `request`; `hash` is the audit log's hash function, which digests the event's data.
    init(_ request: AppendRequest, hash: HashAlgorithm) throws {
        let envelope = request.envelope
        // One route per consumer, the last named winning, as an inbox keyed by consumer and
        // sequence always kept it.
        let routes = Self.oneRoutePerConsumer(request.routes)
        var writer = RecordWriter(capacity: EventRecord.encodedSize(of: envelope, routeCount: routes.count))
        EventRecord.encode(envelope, routes: routes, into: &writer)
        record = writer.bytes
        source = envelope.source
        id = envelope.id
        topic = envelope.topic
        self.routes = routes
        audit = PublishedAuditTemplate(envelope: envelope, routes: routes, dataDigest: try hash.digest(envelope.data))
        registry = request.registryInput ?? request.registry.flatMap { RegistryInput(envelope, collection: $0) }
        try Self.checkKeys(publisherID: id, registry: registry)
    }

    /// `routes` with one route per consumer: the last of each, in the order of first mention.
    static func oneRoutePerConsumer(_ routes: [StoredRoute]) -> [StoredRoute] {
        guard routes.count > 1 else { return routes }
        var positions: [String: Int] = [:]
        var unique: [StoredRoute] = []
        for route in routes {
            if let position = positions[route.consumer] {
                unique[position] = route
            } else {
                positions[route.consumer] = unique.count
                unique.append(route)
            }
        }
        return unique
    }

    /// Refuses an append whose deduplication or registry keys LMDB would not store, before it
    /// reaches the writer, where a refused key would fail every append of its batch.
    static func checkKeys(publisherID id: String, registry: RegistryInput?) throws(StoreError) {
        func check(_ bytes: Int, _ what: String) throws(StoreError) {
            guard bytes <= InputBounds.maxKeyBytes else {
                throw StoreError(
                    code: .invalidRequest, message: "\(what) makes a \(bytes)-byte key; LMDB keys are at most \(InputBounds.maxKeyBytes) bytes")
            }
        }
        try check(4 + id.utf8.count, "the message id")
        guard let registry else { return }
        try check(4 + registry.key.utf8.count, "the subject")
        try check(RegistryKeys.historyKeyBytes(key: registry.key), "the subject's history")
        // The status index key: the longest status name is `not_issued`.
        try check(4 + 1 + RegistryStatus.notIssued.rawValue.utf8.count + 1 + registry.key.utf8.count, "the subject in the status index")
        for value in [registry.holder, registry.type, registry.issuer, registry.validUntil] {
            // An index key: collection (4), index (1), the value escaped (at most twice its bytes), 0x00, the subject.
            if let value { try check(4 + 1 + 2 * value.utf8.count + 1 + registry.key.utf8.count, "a registry index value") }
        }
    }
}

/// The canonical `published` audit entry of one event, encoded ahead in three parts so that the
/// writer only inserts `"sequence":N` and `"time":"..."`.
///
/// The result is byte for byte what `AuditEvent.canonicalBytes(time:)` produces for the same
/// members (members sorted by name: actor, data_digest, kind, message_id, routes, sequence,
/// subject, time, topic, type); a test holds the two to that. `data_digest` is the lowercase hex
/// digest of the event's stored `data` bytes with the audit log's hash function, computed on the
/// caller's thread.
struct PublishedAuditTemplate: Sendable {
    /// `{"actor":…,"data_digest":…,"kind":"published","message_id":…,"routes":[…],`
    let head: [UInt8]
    /// `,"subject":…,` or `,`
    let middle: [UInt8]
    /// `,"topic":…,"type":…}`
    let tail: [UInt8]
    /// The entry's `audit_filters` key prefixes (``AuditFilterKey``), computed off the writer.
    let filterPrefixes: [[UInt8]]
    /// The entry's `data_digest`: what a repeat is compared by once its original's record is
    /// removed (``BatchContext/differences(from:_:)``).
    let dataDigest: String

    init(envelope: Envelope, routes: [StoredRoute], dataDigest: Digest) {
        var head: [UInt8] = [UInt8(ascii: "{")]
        head.reserveCapacity(240 + routes.count * 96)
        Self.member("actor", envelope.source, into: &head)
        head.append(UInt8(ascii: ","))
        Self.member("data_digest", dataDigest.hex, into: &head)
        head.append(UInt8(ascii: ","))
        Self.member("kind", AuditEvent.Kind.published.rawValue, into: &head)
        head.append(UInt8(ascii: ","))
        Self.member("message_id", envelope.id, into: &head)
        head.append(contentsOf: #","routes":["#.utf8)
        for (position, route) in routes.enumerated() {
            head.append(contentsOf: (position > 0 ? ",{" : "{").utf8)
            Self.member("agreement", route.agreement, into: &head)
            head.append(contentsOf: #","agreement_version":"#.utf8)
            head.append(contentsOf: String(route.agreementVersion).utf8)
            head.append(UInt8(ascii: ","))
            Self.member("consumer", route.consumer, into: &head)
            head.append(UInt8(ascii: "}"))
        }
        head.append(contentsOf: "],".utf8)
        self.head = head

        var middle: [UInt8] = [UInt8(ascii: ",")]
        if let subject = envelope.subject {
            Self.member("subject", subject, into: &middle)
            middle.append(UInt8(ascii: ","))
        }
        self.middle = middle

        var tail: [UInt8] = [UInt8(ascii: ",")]
        Self.member("topic", envelope.topic, into: &tail)
        tail.append(UInt8(ascii: ","))
        Self.member("type", envelope.type, into: &tail)
        tail.append(UInt8(ascii: "}"))
        self.tail = tail
        filterPrefixes = AuditFilterKey.publishedPrefixes(publisher: envelope.source, subject: envelope.subject, routes: routes)
        self.dataDigest = dataDigest.hex
    }

    /// Writes the entry with its stamped members into `output`.
    func write(sequence: UInt64, encodedTime: [UInt8], into output: inout [UInt8]) {
        output.append(contentsOf: head)
        output.append(contentsOf: #""sequence":"#.utf8)
        output.append(contentsOf: String(sequence).utf8)
        output.append(contentsOf: middle)
        output.append(contentsOf: #""time":"#.utf8)
        output.append(contentsOf: encodedTime)
        output.append(contentsOf: tail)
    }

    /// Writes `"name":"value"` canonically. The names are fixed ASCII words, written as they
    /// are; the value goes through the canonical string encoder.
    private static func member(_ name: StaticString, _ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        AuditValue.writeCanonicalString(value, into: &output)
    }
}
