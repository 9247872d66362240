import ExchangeModel
public import ExchangeStore

extension CloudEvents {
    /// Appends a stored event, whole, as one NDJSON line (structured mode with the delivery
    /// attributes `sequence`, `topic`, `agreement` when given, and `receivedat`), writing its
    /// fields straight from the record: byte for byte what ``encode(_:delivery:into:)`` writes
    /// for the decoded event, but without building an `Envelope`. Events whose data is not JSON
    /// (also data said to be JSON that is not one JSON value) take the decoding path.
    /// - Parameters:
    ///   - view: the stored event, inside its scan.
    ///   - agreement: the agreement it goes out under (a department's replay), or nil.
    ///   - bytes: the output.
    ///   - receivedAt: the last receive time formatted, reused while events share a commit.
    public static func encodeLine(
        _ view: EventView, agreement: String? = nil, into bytes: inout [UInt8], receivedAt: inout (nanoseconds: UInt64, text: String)
    ) throws {
        let fields = try view.fields()
        if fields.receivedAt != receivedAt.nanoseconds || receivedAt.text.isEmpty {
            receivedAt = (fields.receivedAt, RFC3339.format(nanoseconds: fields.receivedAt))
        }
        let contentType = fields.dataContentType.map { String(decoding: $0, as: UTF8.self) }
        guard fields.data.isEmpty
            || (isJSON(contentType: contentType) && (try? checkOneJSONValue(fields.data.assumingMemoryBound(to: UInt8.self))) != nil)
        else {
            let stored = try view.decode()
            encode(
                stored.envelope,
                delivery: DeliveryAttributes(sequence: stored.sequence, topic: stored.envelope.topic, agreement: agreement, receivedAt: receivedAt.text),
                into: &bytes)
            bytes.append(0x0A)
            return
        }
        var writer = JSONWriter(appendingTo: &bytes, reserving: fields.data.count + 384)
        writer.beginObject()
        writer.member("specversion", string: specVersion)
        writer.member("id", utf8: fields.id)
        writer.member("source", utf8: fields.source)
        writer.member("type", utf8: fields.type)
        if let subject = fields.subject { writer.member("subject", utf8: subject) }
        if let time = fields.time { writer.member("time", utf8: time) }
        if let contentType = fields.dataContentType { writer.member("datacontenttype", utf8: contentType) }
        if let schema = fields.dataSchema { writer.member("dataschema", utf8: schema) }
        if !fields.topic.isEmpty { writer.member("topic", utf8: fields.topic) }
        writer.member("sequence", string: String(view.sequence))
        if let agreement { writer.member("agreement", string: agreement) }
        writer.member("receivedat", string: receivedAt.text)
        for (name, value) in fields.extensions {
            let text = String(decoding: name, as: UTF8.self)
            guard text != "topic", !reservedAttributes.contains(text) else { continue }
            writer.member(text, utf8: value)
        }
        if !fields.data.isEmpty {
            if containsLineBreak(fields.data) {
                writer.member("data", raw: fields.data.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
            } else {
                writer.member("data", raw: fields.data)
            }
        }
        writer.endObject()
        writer.finish(into: &bytes)
        bytes.append(0x0A)
    }
}
