public import ExchangeStore
import ExchangeModel
import Foundation

/// The files of an archive directory: one directory per topic, holding segments named by
/// their first and last sequence (20 digits each, so that names sort in sequence order):
/// `<topic>/<first>-<last>.ndjson` and its `<first>-<last>.manifest.json`.
public enum ArchiveSegment {
    /// The extension attribute an archived line carries the index of its `published` audit entry in.
    public static let auditIndexAttribute = "auditindex"

    /// The base name of the segment of `first` through `last`.
    public static func name(first: UInt64, last: UInt64) -> String {
        func padded(_ value: UInt64) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
        }
        return "\(padded(first))-\(padded(last))"
    }

    /// The first and last sequence a manifest file name states, or `nil` for another file.
    public static func range(ofManifest file: String) -> (first: UInt64, last: UInt64)? {
        guard file.hasSuffix(".manifest.json"), !file.hasPrefix(".") else { return nil }
        let parts = file.dropLast(".manifest.json".count).split(separator: "-")
        guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]), first <= last else { return nil }
        return (first, last)
    }

    /// Whether `topic` can name a directory: a topic name holds no `/` and does not start with `.`.
    public static func isDirectoryName(_ topic: String) -> Bool {
        !topic.isEmpty && !topic.contains("/") && !topic.hasPrefix(".") && topic.utf8.count <= 255
    }

    /// One event as an archive line, without the newline: the CloudEvent as a replay answers it
    /// (structured mode with `sequence`, `topic` and `receivedat`), with the attribute
    /// `auditindex`, and its data byte for byte: JSON data holding a line break, which a replay
    /// would turn into spaces, is written as `data_base64`, so that its digest is the audit
    /// entry's `data_digest`.
    public static func line(_ event: ExpiringEvent) -> [UInt8] {
        var envelope = event.event.envelope
        if let index = event.auditIndex { envelope.extensions[auditIndexAttribute] = String(index) }
        let delivery = DeliveryAttributes(
            sequence: event.event.sequence, topic: envelope.topic, receivedAt: RFC3339.format(nanoseconds: event.event.receivedAt))
        let data = envelope.data
        let verbatim = data.isEmpty || !CloudEvents.isJSON(contentType: envelope.dataContentType) || !CloudEvents.containsLineBreak(data)
        if verbatim { return CloudEvents.encode(envelope, delivery: delivery) }
        envelope.data = []
        var bytes = CloudEvents.encode(envelope, delivery: delivery)
        bytes.removeLast()  // the closing brace
        bytes.append(contentsOf: #","data_base64":""#.utf8)
        bytes.append(contentsOf: Data(data).base64EncodedString().utf8)
        bytes.append(contentsOf: #""}"#.utf8)
        return bytes
    }
}

/// One line of a segment, read back: its attributes as text and its data bytes exactly as
/// the event carried them.
public struct ArchivedLine: Sendable {
    /// The attributes (`id`, `source`, `type`, `topic`, `sequence`, `auditindex`, ...).
    public var attributes: [String: String]
    /// The event's data.
    public var data: [UInt8]

    /// The event's sequence, from its `sequence` attribute.
    public var sequence: UInt64? { attributes["sequence"].flatMap { UInt64($0) } }

    /// Reads a line.
    /// - Throws: a message saying what is wrong with it.
    public init(_ line: some Collection<UInt8>) throws {
        let bytes = Array(line)
        let parsed: (attributes: [String: String], data: [UInt8])
        do {
            parsed = try bytes.withUnsafeBufferPointer { buffer in try Self.read(buffer) }
        } catch let failure as JSONScanner.Failure {
            throw ArchiveLineError(message: "\(failure.message) at byte \(failure.offset)")
        } catch let error as ArchiveLineError {
            throw error
        } catch {
            throw ArchiveLineError(message: "\(error)")
        }
        attributes = parsed.attributes
        data = parsed.data
    }

    private static func read(_ buffer: UnsafeBufferPointer<UInt8>) throws -> (attributes: [String: String], data: [UInt8]) {
        var scanner = JSONScanner(buffer)
        var attributes: [String: String] = [:]
        var dataRange: Range<Int>?
        var dataIsString = false
        var dataBase64: String?
        try scanner.expect(UInt8(ascii: "{"))
        if try !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                guard try scanner.kind() == .string else { throw scanner.fail("expected a member name") }
                let name = try scanner.readString()
                try scanner.expect(UInt8(ascii: ":"))
                guard attributes[name] == nil, !(name == "data" && dataRange != nil), !(name == "data_base64" && dataBase64 != nil) else {
                    throw ArchiveLineError(message: "member \"\(name)\" appears twice")
                }
                switch (name, try scanner.kind()) {
                case ("data", let kind):
                    dataIsString = kind == .string
                    dataRange = try scanner.skipValue()
                case ("data_base64", .string): dataBase64 = try scanner.readString()
                case (_, .string): attributes[name] = try scanner.readString()
                default: throw ArchiveLineError(message: "member \"\(name)\" must be a string")
                }
            } while try scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"))
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw scanner.fail("unexpected content after the event") }
        switch (dataRange, dataBase64) {
        case (nil, nil): return (attributes, [])
        case (nil, let text?):
            guard let decoded = Data(base64Encoded: text) else { throw ArchiveLineError(message: "member \"data_base64\" is not base64") }
            return (attributes, Array(decoded))
        case (let range?, nil):
            if dataIsString && !CloudEvents.isJSON(contentType: attributes["datacontenttype"] ?? "application/json") {
                var inner = JSONScanner(buffer)
                inner.index = range.lowerBound
                return (attributes, Array(try inner.readString().utf8))
            }
            return (attributes, Array(buffer[range]))
        case (_?, _?): throw ArchiveLineError(message: "a line carries \"data\" or \"data_base64\", not both")
        }
    }
}

/// Why an archive line does not read.
public struct ArchiveLineError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public var description: String { message }
}
