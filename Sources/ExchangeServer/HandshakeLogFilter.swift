public import Logging

/// A log handler that lowers to debug the error-level line HummingbirdWebSocket writes for every
/// connection whose TLS handshake was refused ("Error handling upgrade result"), so that a
/// client with a foreign certificate cannot fill the log at error level. Everything else passes
/// through unchanged.
///
/// Metadata set on a logger (the framework sets a request id on every request's logger) is held
/// here and added to a line only when one is written: the stream handler underneath formats its
/// metadata eagerly on every change, which cost about 3% of the daemon's CPU per HTTP request.
/// A line's own metadata wins over the logger's, which wins over the base handler's (and its
/// metadata provider); the base handler's own metadata is not changed through this handler.
public struct HandshakeLogFilter: LogHandler {
    /// The handler lines are passed on to.
    public var base: any LogHandler
    /// Metadata set through this handler, merged into each line it passes on.
    private var ownMetadata: Logger.Metadata = [:]

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

    /// Passes `event` on, lowered to debug when it is the refused-handshake line, with this
    /// handler's metadata under the line's own.
    public func log(event: LogEvent) {
        var event = event
        if event.level == .error, event.message.description == Self.refusedHandshakeMessage {
            event.level = .debug
            guard base.logLevel <= .debug else { return }
        }
        if !ownMetadata.isEmpty {
            event.metadata = ownMetadata.merging(event.metadata ?? [:]) { _, line in line }
        }
        base.log(event: event)
    }

    /// The metadata value for `key`: this handler's, else the base handler's.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { ownMetadata[key] ?? base[metadataKey: key] }
        set { ownMetadata[key] = newValue }
    }

    /// The base handler's metadata with this handler's over it. Setting it replaces this
    /// handler's.
    public var metadata: Logger.Metadata {
        get { base.metadata.merging(ownMetadata) { _, own in own } }
        set { ownMetadata = newValue }
    }

    /// The base handler's level.
    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
}
