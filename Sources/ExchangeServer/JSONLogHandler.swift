import ExchangeModel
import Foundation
public import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line (`log.format: json`):
///
/// ```json
/// {"timestamp":"2026-12-07T03:04:05.123456789Z","level":"info","logger":"exchange.server",
///  "message":"access denied","metadata":{"code":"auth.forbidden","path":"/v1/admin/reload","request_id":"…"}}
/// ```
///
/// `metadata` merges the handler's, the metadata provider's (``RequestID/metadataProvider``
/// adds `request_id` inside a request) and the line's own, later ones winning; nested values
/// become JSON objects and arrays, everything else a string. `source`, `file`, `function` and
/// `line` are not written. Lines go to standard error, written whole under a lock.
///
/// ```swift
/// LoggingSystem.bootstrap({ label, provider in JSONLogHandler(label: label, metadataProvider: provider) },
///                         metadataProvider: RequestID.metadataProvider)
/// ```
public struct JSONLogHandler: LogHandler {
    /// Where the finished lines go.
    public typealias Sink = @Sendable ([UInt8]) -> Void

    /// The handler's own metadata.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    /// The metadata provider consulted for each line.
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    /// Creates a handler for the logger `label`.
    /// - Parameters:
    ///   - label: written as `logger`.
    ///   - metadataProvider: consulted for each line (`request_id`).
    ///   - sink: receives each line, newline included; default standard error.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping Sink = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    /// Metadata of the handler by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        let now = Date().timeIntervalSince1970
        let nanoseconds = now > 0 ? UInt64(now * 1e9) : 0
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"timestamp":"#.utf8)
        Self.appendString(RFC3339.format(nanoseconds: nanoseconds), to: &line)
        line.append(contentsOf: #","level":"#.utf8)
        Self.appendString(event.level.rawValue, to: &line)
        line.append(contentsOf: #","logger":"#.utf8)
        Self.appendString(label, to: &line)
        line.append(contentsOf: #","message":"#.utf8)
        Self.appendString(event.message.description, to: &line)
        line.append(contentsOf: #","metadata":"#.utf8)
        Self.appendValue(.dictionary(merged), to: &line)
        line.append(contentsOf: "}\n".utf8)
        sink(line)
    }

    /// Writes each line whole to standard error (file descriptor 2), one writer at a time.
    public static let standardError: Sink = { line in
        standardErrorLock.withLock { _ in
            line.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
        }
    }

    private static let standardErrorLock = Mutex(())

    static func appendValue(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendValue(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let object):
            line.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendValue(object[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, so that a
    /// line never breaks (a newline in a message stays `\n`).
    static func appendString(_ text: String, to line: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): line.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): line.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): line.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): line.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                line.append(contentsOf: #"\u00"#.utf8)
                line.append(hex[Int(byte >> 4)])
                line.append(hex[Int(byte & 0xF)])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
