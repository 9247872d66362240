public import Logging

/// A log handler that lowers to debug the error-level line HummingbirdWebSocket writes for every
/// connection whose TLS handshake was refused ("Error handling upgrade result"), so that a
/// client with a foreign certificate cannot fill the log at error level. Everything else passes
/// through unchanged.
public struct HandshakeLogFilter: LogHandler {
    /// The handler lines are passed on to.
    public var base: any LogHandler

    /// Wraps `base`.
    public init(base: any LogHandler) {
        self.base = base
    }

    /// A logger like `logger` whose refused-handshake lines are lowered to debug.
    public static func wrapping(_ logger: Logger) -> Logger {
        let handler = HandshakeLogFilter(base: logger.handler)
        return Logger(label: logger.label, factory: { _ in handler })
    }

    static let refusedHandshakeMessage = "Error handling upgrade result"

    /// Passes `event` on, lowered to debug when it is the refused-handshake line.
    public func log(event: LogEvent) {
        var event = event
        if event.level == .error, event.message.description == Self.refusedHandshakeMessage {
            event.level = .debug
            guard base.logLevel <= .debug else { return }
        }
        base.log(event: event)
    }

    /// The base handler's metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    /// The base handler's metadata.
    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    /// The base handler's level.
    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
}
