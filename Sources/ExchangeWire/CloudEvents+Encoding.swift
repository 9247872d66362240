public import ExchangeModel
import Foundation

extension CloudEvents {
    /// Encodes an envelope as a structured-mode CloudEvent (`application/cloudevents+json`).
    ///
    /// JSON data (a `datacontenttype` of `application/json`, `text/json` or `*/*+json`) is
    /// embedded as `data` byte for byte, except that line breaks (which valid JSON holds only as
    /// whitespace between tokens) become spaces, so that every encoded event is one line; any
    /// other data is written as `data_base64`, and so is data said to be JSON that is not one
    /// JSON value (stored before such events were refused), so that the document stays JSON a
    /// subscriber can parse. Extensions are
    /// written sorted by name, after the delivery attributes.
    /// - Parameters:
    ///   - envelope: the event.
    ///   - delivery: the delivery attributes, if the event is being delivered.
    /// - Returns: the JSON bytes.
    ///
    /// ```swift
    /// let frame = CloudEvents.encode(envelope, delivery: DeliveryAttributes(sequence: 42, topic: envelope.topic))
    /// ```
    public static func encode(_ envelope: Envelope, delivery: DeliveryAttributes? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        encode(envelope, delivery: delivery, into: &bytes)
        return bytes
    }

    /// Appends the structured-mode encoding of `envelope` to `bytes`; see ``encode(_:delivery:)``.
    public static func encode(_ envelope: Envelope, delivery: DeliveryAttributes?, into bytes: inout [UInt8]) {
        var writer = JSONWriter(appendingTo: &bytes, reserving: envelope.data.count + 256)
        writer.beginObject()
        writer.member("specversion", string: specVersion)
        writer.member("id", string: envelope.id)
        writer.member("source", string: envelope.source)
        writer.member("type", string: envelope.type)
        if let subject = envelope.subject { writer.member("subject", string: subject) }
        if let time = envelope.time { writer.member("time", string: time) }
        if let contentType = envelope.dataContentType { writer.member("datacontenttype", string: contentType) }
        if let schema = envelope.dataSchema { writer.member("dataschema", string: schema) }
        let topic = delivery?.topic ?? envelope.topic
        if !topic.isEmpty { writer.member("topic", string: topic) }
        if let delivery {
            writer.member("sequence", string: String(delivery.sequence))
            if let agreement = delivery.agreement { writer.member("agreement", string: agreement) }
            if let receivedAt = delivery.receivedAt { writer.member("receivedat", string: receivedAt) }
        }
        for name in envelope.extensions.keys.sorted() where name != "topic" && !reservedAttributes.contains(name) {
            writer.member(name, string: envelope.extensions[name]!)
        }
        if !envelope.data.isEmpty {
            if isJSON(contentType: envelope.dataContentType), (try? checkOneJSONValue(envelope.data)) != nil {
                if containsLineBreak(envelope.data) {
                    writer.member("data", raw: envelope.data.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
                } else {
                    writer.member("data", raw: envelope.data)
                }
            } else {
                writer.member("data_base64", string: Data(envelope.data).base64EncodedString())
            }
        }
        writer.endObject()
        writer.finish(into: &bytes)
    }

    /// Whether `data` holds a line feed or a carriage return (which NDJSON lines must not).
    static func containsLineBreak(_ data: [UInt8]) -> Bool {
        data.withUnsafeBytes { containsLineBreak($0) }
    }

    static func containsLineBreak(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard let base = raw.baseAddress else { return false }
        return memchr(base, 0x0A, raw.count) != nil || memchr(base, 0x0D, raw.count) != nil
    }

    /// Encodes events as a batch-mode body (`application/cloudevents-batch+json`).
    /// - Parameter events: the envelopes with their delivery attributes.
    public static func encodeBatch(_ events: [(envelope: Envelope, delivery: DeliveryAttributes?)]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            encode(event.envelope, delivery: event.delivery, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }
}
