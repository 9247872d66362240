public import ExchangeModel
import Foundation

extension CloudEvents {
    /// Parses a structured-mode body (`application/cloudevents+json`): one JSON event.
    /// - Parameters:
    ///   - body: the JSON bytes.
    ///   - options: limits, source and topic.
    /// - Returns: the envelope; JSON `data` is the exact bytes of the member's value.
    public static func parseStructured(_ body: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> Envelope {
        try body.withUnsafeBufferPointer { buffer throws(ProblemError) in try parseStructured(buffer, options: options) }
    }

    /// Parses a structured-mode event from bytes the caller holds, such as a received frame,
    /// without copying them first. The envelope owns copies of what it keeps.
    public static func parseStructured(_ body: UnsafeBufferPointer<UInt8>, options: CloudEventsOptions) throws(ProblemError) -> Envelope {
        do {
            var scanner = JSONScanner(body)
            let envelope = try readEvent(&scanner, options: options, location: "")
            scanner.skipWhitespace()
            guard scanner.isAtEnd else {
                throw ProblemError(.malformedJSON, detail: "unexpected content after the event at byte \(scanner.index)")
            }
            return envelope
        } catch {
            throw problem(from: error)
        }
    }

    /// Parses a batch-mode body (`application/cloudevents-batch+json`): a JSON array of events.
    /// - Parameters:
    ///   - body: the JSON bytes.
    ///   - options: limits, source and topic.
    /// - Returns: the envelopes in order.
    /// - Throws: `cloudevents.empty_batch` for `[]`, `cloudevents.too_many_events` past the limit,
    ///   and the event's own problem, its detail prefixed with `event N: ` (0-based).
    public static func parseBatch(_ body: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> [Envelope] {
        try body.withUnsafeBufferPointer { buffer throws(ProblemError) in try parseBatch(buffer, options: options) }
    }

    /// Parses a batch from bytes the caller holds, such as a received frame, without copying
    /// them first.
    public static func parseBatch(_ body: UnsafeBufferPointer<UInt8>, options: CloudEventsOptions) throws(ProblemError) -> [Envelope] {
        do {
            var scanner = JSONScanner(body)
            var envelopes: [Envelope] = []
            try scanner.expect(UInt8(ascii: "["))
            if try !scanner.consume(UInt8(ascii: "]")) {
                repeat {
                    guard envelopes.count < options.maxBatchEvents else {
                        throw ProblemError(.tooManyEvents, detail: "a batch holds at most \(options.maxBatchEvents) events")
                    }
                    envelopes.append(try readEvent(&scanner, options: options, location: "event \(envelopes.count): "))
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"))
            }
            scanner.skipWhitespace()
            guard scanner.isAtEnd else {
                throw ProblemError(.malformedJSON, detail: "unexpected content after the batch at byte \(scanner.index)")
            }
            guard !envelopes.isEmpty else { throw ProblemError(.emptyBatch, detail: "a batch must hold at least one event") }
            return envelopes
        } catch {
            throw problem(from: error)
        }
    }

    static func problem(from error: any Error) -> ProblemError {
        switch error {
        case let problem as ProblemError: problem
        case let failure as JSONScanner.Failure: malformed(failure, location: "")
        default: ProblemError(.malformedJSON)
        }
    }

    static func malformed(_ failure: JSONScanner.Failure, location: String) -> ProblemError {
        ProblemError(.malformedJSON, detail: "\(location)\(failure.message) at byte \(failure.offset)")
    }

    /// Reads one event object at the scanner's position.
    static func readEvent(_ scanner: inout JSONScanner, options: CloudEventsOptions, location: String) throws -> Envelope {
        var attributes = EventAttributes()
        attributes.location = location
        var dataRange: Range<Int>?
        var dataIsString = false
        var dataBase64: String?
        let start: Int
        do {
            scanner.skipWhitespace()
            start = scanner.index
            guard try scanner.peek() == UInt8(ascii: "{") else {
                throw ProblemError(.malformedJSON, detail: "\(location)an event must be a JSON object")
            }
            try scanner.expect(UInt8(ascii: "{"))
            if try !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    guard try scanner.kind() == .string else { throw scanner.fail("expected a member name") }
                    let name = try scanner.readString()
                    try scanner.expect(UInt8(ascii: ":"))
                    switch name {
                    case "data":
                        try attributes.markSeen(name)
                        dataIsString = try scanner.kind() == .string
                        let range = try scanner.skipValue()
                        if buffer(scanner, range) != "null" { dataRange = range }
                    case "data_base64":
                        try attributes.markSeen(name)
                        switch try scanner.kind() {
                        case .string: dataBase64 = try scanner.readString()
                        case .null: _ = try scanner.skipValue()
                        default: throw attributes.problem(.invalidAttribute, "member \"data_base64\" must be a string")
                        }
                    default:
                        try attributes.set(name, try readAttributeValue(&scanner, name: name, attributes: attributes))
                    }
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
        } catch let failure as JSONScanner.Failure {
            throw malformed(failure, location: location)
        }
        let size = scanner.index - start
        guard size <= options.maxEventSize else {
            throw attributes.problem(.eventTooLarge, "the event is \(size) bytes; at most \(options.maxEventSize) are accepted")
        }
        var data: [UInt8] = []
        if let dataRange {
            guard dataBase64 == nil else {
                throw attributes.problem(.invalidAttribute, "an event carries \"data\" or \"data_base64\", not both")
            }
            if attributes.dataContentType == nil { attributes.dataContentType = "application/json" }
            if dataIsString && !isJSON(contentType: attributes.dataContentType) {
                // Non-JSON data carried as a JSON string: the data is the string's text.
                var inner = JSONScanner(scanner.bytes)
                inner.index = dataRange.lowerBound
                do {
                    data = Array(try inner.readString().utf8)
                } catch {
                    throw malformed(error, location: location)
                }
            } else {
                data = Array(scanner.bytes[dataRange])
            }
        } else if let dataBase64 {
            guard let decoded = Data(base64Encoded: dataBase64) else {
                throw attributes.problem(.invalidAttribute, "member \"data_base64\" is not valid base64")
            }
            data = Array(decoded)
            // Data said to be JSON is delivered as `data`, so it must be one JSON value, as a
            // binary-mode body must.
            if isJSON(contentType: attributes.dataContentType), !data.isEmpty {
                do {
                    try checkOneJSONValue(data)
                } catch {
                    let reason = (error as? JSONScanner.Failure).map { "\($0.message) at byte \($0.offset)" } ?? "not JSON"
                    throw attributes.problem(
                        .invalidAttribute,
                        "member \"data_base64\" decodes to bytes that are not one JSON value (\(reason)), as datacontenttype \"\((attributes.dataContentType ?? "").prefix(128))\" says they are")
                }
            }
        }
        return try attributes.envelope(data: data, options: options)
    }

    /// Throws the scanner's error, which says where and why, unless `bytes` hold exactly one
    /// JSON value (whitespace around it allowed).
    static func checkOneJSONValue(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { try checkOneJSONValue($0) }
    }

    /// ``checkOneJSONValue(_:)-([UInt8])`` of bytes in place.
    static func checkOneJSONValue(_ buffer: UnsafeBufferPointer<UInt8>) throws {
        var scanner = JSONScanner(buffer)
        _ = try scanner.skipValue()
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.fail("unexpected content after the JSON value") }
    }

    private static func buffer(_ scanner: borrowing JSONScanner, _ range: Range<Int>) -> String {
        range.count == 4 ? String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self) : ""
    }

    /// Reads an attribute value: strings as is, numbers as their JSON text, booleans as
    /// `true`/`false`, `null` as absent; objects and arrays are refused.
    private static func readAttributeValue(
        _ scanner: inout JSONScanner, name: String, attributes: EventAttributes
    ) throws -> String? {
        switch try scanner.kind() {
        case .string:
            return try scanner.readString()
        case .null:
            _ = try scanner.skipValue()
            return nil
        case .number, .bool:
            if EventAttributes.isKnown(name) {
                throw attributes.problem(.invalidAttribute, "attribute \"\(name)\" must be a string")
            }
            let range = try scanner.skipValue()
            return String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
        case .object, .array:
            throw attributes.problem(.invalidAttribute, "attribute \"\(name)\" must be a string, number or boolean")
        }
    }
}
