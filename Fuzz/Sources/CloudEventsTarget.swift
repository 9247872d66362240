import ExchangeModel
import ExchangeWire
import HTTPTypes

/// `CloudEvents.parse`: `headers NUL body`, the headers as `name: value` lines. Its
/// `Content-Type` picks the mode as for a request: structured, batch, or binary with `ce-*`
/// headers; an `x-fuzz-topic` header stands for the route's topic.
///
/// Every event parsed is written in structured mode, as the exchange delivers it, and must parse
/// back to the same event.
enum CloudEventsTarget {
    static let source = "market-regulation"

    static func run(_ input: FuzzInput) {
        let parts = input.parts(2)
        var headers = HTTPFields()
        var topic: String?
        for line in parts[0].split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
            if name.lowercased() == "x-fuzz-topic" {
                topic = value
            } else if let fieldName = HTTPField.Name(name) {
                headers.append(HTTPField(name: fieldName, value: value))
            }
        }
        let options = CloudEventsOptions(source: source, topic: topic)
        guard let envelopes = try? CloudEvents.parse(headers: headers, body: parts[1], options: options) else { return }
        for envelope in envelopes {
            let written = CloudEvents.encode(envelope)
            let reread: Envelope
            do {
                reread = try CloudEvents.parseStructured(written, options: CloudEventsOptions(source: source, topic: topic))
            } catch {
                fatalError("a parsed event, written in structured mode, does not parse (\(error)): \(String(decoding: written, as: UTF8.self))")
            }
            var expected = envelope
            if CloudEvents.isJSON(contentType: envelope.dataContentType) {
                // Structured delivery writes JSON data on one line, without the whitespace around
                // it that a binary-mode body may have, and JSON `null` data is no data in the
                // structured format.
                let blank: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
                let oneLine = envelope.data.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
                expected.data = Array(oneLine.drop { blank.contains($0) }.reversed().drop { blank.contains($0) }.reversed())
                if (try? JSONValue.parse(envelope.data)) == .null { expected.data = [] }
            }
            require(reread == expected, "a parsed event reads back as another: \(expected) written as \(String(decoding: written, as: UTF8.self)) reads as \(reread)")
        }
    }
}
