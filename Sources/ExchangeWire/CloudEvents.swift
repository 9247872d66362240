public import ExchangeModel
import Foundation
public import HTTPTypes

/// The CloudEvents 1.0 HTTP protocol binding: parsing requests into envelopes, encoding envelopes
/// for delivery.
///
/// Three request modes are accepted:
/// - structured: `Content-Type: application/cloudevents+json`, the body one JSON event;
/// - batch: `Content-Type: application/cloudevents-batch+json`, the body a JSON array of events;
/// - binary: context attributes in `ce-*` headers (percent-encoded values), `Content-Type` is
///   `datacontenttype`, the body is `data` as is.
///
/// Required attributes are `specversion` (exactly `1.0`), `id` and `type`, and a topic (the route's
/// or the `topic` extension). `source` is optional: the exchange always sets it to the
/// authenticated department. `sequence`, `agreement` and `receivedat` are set by the exchange on
/// delivery and refused on publish. JSON `data` is kept as the exact bytes received; `data_base64`
/// is decoded. Extension values may be JSON strings, numbers or booleans; they are kept in their
/// CloudEvents canonical string form (`5`, `true`) and delivered as strings.
///
/// ```swift
/// let envelopes = try CloudEvents.parse(
///     headers: request.headers, body: bytes,
///     options: CloudEventsOptions(limits: limits, source: department.rawValue))
/// ```
public enum CloudEvents {
    /// `application/cloudevents+json`
    public static let structuredMediaType = "application/cloudevents+json"
    /// `application/cloudevents-batch+json`
    public static let batchMediaType = "application/cloudevents-batch+json"
    /// The only spec version accepted, `1.0`.
    public static let specVersion = "1.0"
    /// Extension attributes the exchange sets on delivery and a publisher may not send.
    public static let reservedAttributes: Set<String> = ["sequence", "agreement", "receivedat"]

    /// The mode of a request, from its headers.
    public enum Mode: Sendable, Equatable {
        /// One JSON event.
        case structured
        /// A JSON array of events.
        case batch
        /// Attributes in `ce-*` headers, data in the body.
        case binary
    }

    /// The mode a request is in.
    /// - Parameter headers: the request headers.
    /// - Throws: `cloudevents.unsupported_content_type` when it is in none.
    public static func mode(of headers: HTTPFields) throws(ProblemError) -> Mode {
        let mediaType = headers[.contentType].map(Self.mediaType(of:)) ?? ""
        switch mediaType {
        case structuredMediaType: return .structured
        case batchMediaType: return .batch
        default:
            if mediaType.hasPrefix("application/cloudevents") {
                throw ProblemError(.unsupportedContentType, detail: "event format \"\(mediaType)\" is not supported; use JSON")
            }
            if headers[HTTPField.Name("ce-specversion")!] != nil { return .binary }
            throw ProblemError(
                .unsupportedContentType,
                detail: "send \(structuredMediaType), \(batchMediaType), or binary mode with ce-* headers")
        }
    }

    /// Parses a request in any of the three modes.
    /// - Parameters:
    ///   - headers: the request headers.
    ///   - body: the request body.
    ///   - options: limits, source and topic.
    /// - Returns: the events, in order; one for structured and binary mode.
    public static func parse(headers: HTTPFields, body: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> [Envelope] {
        try parse(try mode(of: headers), headers: headers, body: body, options: options)
    }

    /// Parses a request whose mode the caller already read with ``mode(of:)``.
    /// - Parameters:
    ///   - mode: the request's mode.
    ///   - headers: the request headers (binary mode reads its attributes from them).
    ///   - body: the request body.
    ///   - options: limits, source and topic.
    public static func parse(_ mode: Mode, headers: HTTPFields, body: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> [Envelope] {
        switch mode {
        case .structured: [try parseStructured(body, options: options)]
        case .batch: try parseBatch(body, options: options)
        case .binary: [try parseBinary(headers: headers, body: body, options: options)]
        }
    }

    /// The media type of a `Content-Type` value: lowercased, without parameters.
    static func mediaType(of contentType: String) -> String {
        // The media type before any parameters, without surrounding blanks, in lower case:
        // in bytes, since this runs for every request and every encoded event.
        let utf8 = contentType.utf8
        var start = utf8.startIndex
        var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while start < end, isBlank(utf8[start]) { start = utf8.index(after: start) }
        while end > start, isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        let bytes = utf8[start..<end]
        if !bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            return String(Substring(contentType.utf8[start..<end]))
        }
        return String(decoding: bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Whether a `datacontenttype` denotes JSON: `application/json`, `text/json`, or `*/*+json`.
    public static func isJSON(contentType: String?) -> Bool {
        guard let contentType else { return false }
        if contentType == "application/json" { return true }
        let type = mediaType(of: contentType)
        return type == "application/json" || type == "text/json" || type.hasSuffix("+json")
    }

    /// Whether `name` is a valid context attribute name: 1 to 20 lower-case ASCII letters or digits.
    public static func isValidAttributeName(_ name: some StringProtocol) -> Bool {
        let utf8 = name.utf8
        guard !utf8.isEmpty, utf8.count <= 20 else { return false }
        return utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// The position (0-based, in Unicode scalars) of the first character a CloudEvents String may
    /// not hold (CloudEvents 1.0, type system: U+0000-U+001F and U+007F-U+009F), or `nil`.
    public static func controlCharacterOffset(in value: some StringProtocol) -> Int? {
        // Fast path: ASCII without C0 controls or DEL, and no two-byte lead 0xC2 (which starts U+0080-U+00BF).
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) { return nil }
        for (offset, scalar) in value.unicodeScalars.enumerated() where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            return offset
        }
        return nil
    }
}
