/// How the daemon writes its log lines to standard error (`log.format`).
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// One human-readable line per message (swift-log's stream handler): time, level, label,
    /// metadata, message. The default.
    case text
    /// One JSON object per line: `timestamp` (RFC 3339, UTC, microseconds), `level`, `logger`
    /// (the logger's label), `message` and `metadata` (an object; `request_id` on every line
    /// logged while serving a request). For log collectors.
    case json
}
