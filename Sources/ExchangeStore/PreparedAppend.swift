import ExchangeModel

/// An append encoded on the caller's thread, so that the writer thread only copies bytes:
/// the record (its receive time is patched in at commit), the dedup id, the topic and routes,
/// and the `published` audit entry without the members the writer stamps (`sequence`, `time`).
struct PreparedAppend: Sendable {
    let record: [UInt8]
    let source: String
    let id: String
    let topic: String
    let routes: [StoredRoute]
    let audit: CanonicalObject

    init(_ request: AppendRequest) {
        let envelope = request.envelope
        var writer = RecordWriter(capacity: 96 + envelope.data.count)
        EventRecord.encode(envelope, routeCount: request.routes.count, into: &writer)
        record = writer.bytes
        source = envelope.source
        id = envelope.id
        topic = envelope.topic
        routes = request.routes
        var fields: [String: AuditValue] = [
            "kind": .string(AuditEvent.Kind.published.rawValue),
            "actor": .string(envelope.source),
            "topic": .string(envelope.topic),
            "message_id": .string(envelope.id),
            "type": .string(envelope.type),
            "routes": .list(
                request.routes.map {
                    .object([
                        "consumer": .string($0.consumer), "agreement": .string($0.agreement),
                        "agreement_version": .integer(Int64($0.agreementVersion)),
                    ])
                }),
        ]
        if let subject = envelope.subject { fields["subject"] = .string(subject) }
        audit = CanonicalObject(fields)
    }
}
