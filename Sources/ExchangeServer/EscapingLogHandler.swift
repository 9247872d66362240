public import Logging

/// A log handler for the text log (`log.format: text`) that escapes control characters in each
/// line's message and metadata before the handler underneath writes it, so that one record is
/// always one line: text taken from a request (a registry key, a header, a topic) cannot end a
/// line and forge the next one, nor send terminal escape sequences to whoever reads the log.
///
/// U+0000-U+001F, U+007F and U+0080-U+009F are written as `\n`, `\r`, `\t` or `\u{1B}`;
/// everything else passes unchanged. Metadata set on the handler is escaped as it is set;
/// wrap the metadata provider with ``escaping(_:)`` so that its values are escaped too.
///
/// ```swift
/// EscapingLogHandler(base: StreamLogHandler.standardError(label: label, metadataProvider: provider.map(EscapingLogHandler.escaping)))
/// ```
public struct EscapingLogHandler: LogHandler {
    /// The handler lines are passed on to.
    public var base: any LogHandler

    /// Wraps `base`.
    public init(base: any LogHandler) {
        self.base = base
    }

    /// Passes `event` on with its message and metadata escaped.
    public func log(event: LogEvent) {
        var event = event
        let message = event.message.description
        if Self.needsEscaping(message) { event.message = Logger.Message(stringLiteral: Self.escaped(message)) }
        if let metadata = event.metadata { event.metadata = Self.escaped(metadata) }
        base.log(event: event)
    }

    /// The base handler's metadata value for `key`; set values are escaped.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: Self.escaped(key)] = newValue.map(Self.escaped) }
    }

    /// The base handler's metadata; set values are escaped.
    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = Self.escaped(newValue) }
    }

    /// The base handler's level.
    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    /// A metadata provider giving `provider`'s metadata escaped.
    public static func escaping(_ provider: Logger.MetadataProvider) -> Logger.MetadataProvider {
        Logger.MetadataProvider { escaped(provider.get()) }
    }

    /// Whether `text` holds a character ``escaped(_:)-swift.type.method`` would change.
    static func needsEscaping(_ text: String) -> Bool {
        // 0xC2 leads the two-byte encodings of U+0080-U+00BF, which include the C1 controls.
        text.utf8.contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
            && text.unicodeScalars.contains { isControl($0) }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `text` with each control character written as `\n`, `\r`, `\t` or `\u{XX}`.
    public static func escaped(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar) else {
                out.append(scalar)
                continue
            }
            let replacement: String =
                switch scalar {
                case "\n": #"\n"#
                case "\r": #"\r"#
                case "\t": #"\t"#
                default: #"\u{"# + String(scalar.value, radix: 16, uppercase: true) + "}"
                }
            out.append(contentsOf: replacement.unicodeScalars)
        }
        return String(out)
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): needsEscaping(text) ? .string(escaped(text)) : value
        case .stringConvertible(let convertible):
            needsEscaping(convertible.description) ? .string(escaped(convertible.description)) : value
        case .array(let values): .array(values.map(escaped))
        case .dictionary(let object): .dictionary(escaped(object))
        }
    }

    static func escaped(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var out: Logger.Metadata = [:]
        for (key, value) in metadata { out[escaped(key)] = escaped(value) }
        return out
    }
}
