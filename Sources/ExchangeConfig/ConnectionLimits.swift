/// How many connections the listener holds and how long a connection may stay in each phase
/// before the server closes it.
///
/// A connection passes through these phases: the TLS handshake (``handshakeTimeout``); waiting
/// for a request (``idleTimeout``, before the first request and between keep-alive requests);
/// reading a request head, from its first byte to its blank line (``requestHeadTimeout``); a
/// request in progress (no limit: the handler's own limits apply); a WebSocket stream (pinged
/// every ``webSocketPingInterval``, closed when a ping is not answered by the next one).
///
/// At ``maxConnections`` a new connection closes the one that has waited longest among those
/// handshaking or waiting for a request, else the one that has been reading its head longest;
/// requests in progress and WebSocket streams are never closed for another connection. When
/// none can be closed, the new connection is closed at once. One client certificate holds at most
/// its share of the connections (``maxConnectionsPerCertificate``), so that one department cannot
/// keep the others out with requests it never finishes. See ``ConnectionGovernor``.
public struct ConnectionLimits: Sendable, Equatable {
    /// The most connections held open at once (`server.max_connections`, default 4096). The
    /// daemon lowers it to the process's open-file limit less ``descriptorReserve``.
    public var maxConnections: Int
    /// The longest a TLS handshake may take, from the TCP connection on
    /// (`server.handshake_timeout`, default 10 s).
    public var handshakeTimeout: Duration
    /// The longest a request head may take, from its first byte to its end
    /// (`server.request_head_timeout`, default 10 s).
    public var requestHeadTimeout: Duration
    /// The longest a connection may wait for a request, after its handshake and after each
    /// response (`server.idle_timeout`, default 60 s).
    public var idleTimeout: Duration
    /// The longest a request body may take, from the end of its head to its end
    /// (`server.request_body_timeout`, default 60 s: 16 MiB at about 2.2 Mbit/s).
    public var requestBodyTimeout: Duration
    /// The longest a console form's body may take on a connection without a client
    /// certificate, from the end of its head (`server.console_form_timeout`, default 10 s; the
    /// shorter of it and ``requestBodyTimeout`` applies). Before a principal is known the
    /// daemon does not wait on a client for long.
    public var consoleFormTimeout: Duration
    /// The most connections one client certificate may hold at once
    /// (`server.max_connections_per_certificate`); `nil`, the default, is a quarter of the
    /// connection limit in force (at least 1). A connection beyond the share is closed right after
    /// its handshake and counted.
    public var maxConnectionsPerCertificate: Int?
    /// How often a WebSocket stream is pinged; a ping unanswered when the next is due closes
    /// the stream (`server.websocket_ping_interval`, default 30 s; `nil` sends no pings).
    public var webSocketPingInterval: Duration?

    /// Creates limits.
    /// - Parameters:
    ///   - maxConnections: the most open connections.
    ///   - handshakeTimeout: the longest TLS handshake.
    ///   - requestHeadTimeout: the longest request head.
    ///   - idleTimeout: the longest wait for a request.
    ///   - requestBodyTimeout: the longest request body.
    ///   - consoleFormTimeout: the longest console form body without a client certificate.
    ///   - webSocketPingInterval: the WebSocket ping period, `nil` for none.
    ///   - maxConnectionsPerCertificate: the share of one client certificate, `nil` for a quarter.
    public init(
        maxConnections: Int = 4096,
        handshakeTimeout: Duration = .seconds(10),
        requestHeadTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        requestBodyTimeout: Duration = .seconds(60),
        consoleFormTimeout: Duration = .seconds(10),
        webSocketPingInterval: Duration? = .seconds(30),
        maxConnectionsPerCertificate: Int? = nil
    ) {
        self.maxConnectionsPerCertificate = maxConnectionsPerCertificate
        self.requestBodyTimeout = requestBodyTimeout
        self.consoleFormTimeout = consoleFormTimeout
        self.maxConnections = maxConnections
        self.handshakeTimeout = handshakeTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.idleTimeout = idleTimeout
        self.webSocketPingInterval = webSocketPingInterval
    }

    /// 4096 connections, 10 s handshakes, 10 s request heads, 60 s idle, 60 s request bodies,
    /// 10 s anonymous console forms, 30 s WebSocket pings.
    public static let `default` = ConnectionLimits()

    /// File descriptors kept free of connections for the store, log and configuration files,
    /// and for connections accepted only to be closed at the limit: 128.
    public static let descriptorReserve = 128

    /// The connection limit in force under an open-file limit: ``maxConnections``, but at most
    /// `descriptorLimit` less ``descriptorReserve`` (and at least 1).
    /// - Parameter descriptorLimit: the process's soft `RLIMIT_NOFILE`; `nil` when unlimited.
    public func effectiveMaxConnections(descriptorLimit: Int?) -> Int {
        guard let descriptorLimit else { return maxConnections }
        return max(1, min(maxConnections, descriptorLimit - Self.descriptorReserve))
    }

    /// The share of one client certificate under a connection limit in force:
    /// ``maxConnectionsPerCertificate``, or a quarter of `maxConnections`, at most
    /// `maxConnections` and at least 1.
    /// - Parameter maxConnections: the connection limit in force (``effectiveMaxConnections(descriptorLimit:)``).
    public func effectiveMaxConnectionsPerCertificate(maxConnections: Int) -> Int {
        max(1, min(maxConnections, maxConnectionsPerCertificate ?? maxConnections / 4))
    }
}
