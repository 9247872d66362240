/// Where a connection is in its life, as the ``ConnectionGovernor`` weighs it for eviction.
public enum ConnectionPhase: String, Sendable, CaseIterable {
    /// Accepted; the TLS handshake is not complete.
    case handshaking
    /// Handshaken, waiting for its first request or, after a response, for the next one.
    case waiting
    /// A request's first bytes arrived; its head is not complete.
    case readingHead = "reading_head"
    /// A request head arrived; its body has not ended.
    case readingBody = "reading_body"
    /// A console form (`POST /console/...`) is being read on a connection without a client
    /// certificate: no principal is known yet, so the connection may be evicted and its body has
    /// ``ConnectionLimits/consoleFormTimeout`` to end.
    case readingConsoleForm = "reading_console_form"
    /// A request is being handled or its response written.
    case busy
    /// Upgraded to a WebSocket stream.
    case streaming

    /// Whether a new connection may close one in this phase: only when no request or stream
    /// is in progress.
    public var isEvictable: Bool {
        switch self {
        case .handshaking, .waiting, .readingHead, .readingConsoleForm: true
        case .readingBody, .busy, .streaming: false
        }
    }

    /// Eviction order: handshaking and waiting connections (those that sent nothing, or
    /// nothing since their last response) first, then those reading a head or an anonymous
    /// console form.
    var evictionRank: Int? {
        switch self {
        case .handshaking, .waiting: 0
        case .readingHead, .readingConsoleForm: 1
        case .readingBody, .busy, .streaming: nil
        }
    }
}
