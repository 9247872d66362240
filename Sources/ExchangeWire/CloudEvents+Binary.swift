public import ExchangeModel
public import HTTPTypes

extension CloudEvents {
    /// Parses a binary-mode request: attributes from `ce-*` headers (values percent-decoded),
    /// `datacontenttype` from `Content-Type`, `data` the body byte for byte.
    ///
    /// A body declared as JSON is checked to be one well-formed JSON value, so that it can later be
    /// embedded raw in structured deliveries.
    /// - Parameters:
    ///   - headers: the request headers.
    ///   - body: the request body.
    ///   - options: limits, source and topic.
    public static func parseBinary(headers: HTTPFields, body: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> Envelope {
        var attributes = EventAttributes()
        for field in headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("ce-") else { continue }
            let attribute = String(name.dropFirst(3))
            guard attribute != "datacontenttype" else {
                throw ProblemError(.invalidAttribute, detail: "in binary mode datacontenttype is the Content-Type header, not ce-datacontenttype")
            }
            guard let value = percentDecoded(field.value) else {
                throw ProblemError(.invalidAttribute, detail: "header \(name) is not validly percent-encoded UTF-8")
            }
            try attributes.set(attribute, value)
        }
        attributes.dataContentType = headers[.contentType]
        guard body.count <= options.maxEventSize else {
            throw ProblemError(.eventTooLarge, detail: "the event data is \(body.count) bytes; at most \(options.maxEventSize) are accepted")
        }
        if isJSON(contentType: attributes.dataContentType), !body.isEmpty {
            do {
                try checkOneJSONValue(body)
            } catch {
                throw problem(from: error)
            }
        }
        return try attributes.envelope(data: body, options: options)
    }

    /// Decodes `%XX` escapes (RFC 3986 style, as the CloudEvents HTTP binding specifies for header
    /// values); `nil` for a bad escape or invalid UTF-8.
    static func percentDecoded(_ value: String) -> String? {
        guard value.utf8.contains(UInt8(ascii: "%")) else { return value }
        var out: [UInt8] = []
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            out.append(high << 4 | low)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
