extension ServerConfiguration {
    /// Every key read by ``init(reader:)``.
    static let keys: Set<String> = [
        "server.host", "server.port", "server.tls.certificate", "server.tls.private_key",
        "server.tls.client_ca", "server.tls.require_client_certificate", "server.tls.revoked_certificates", "server.tokens_file",
        "server.max_connections", "server.max_connections_per_certificate", "server.handshake_timeout", "server.request_head_timeout", "server.idle_timeout", "server.request_body_timeout",
        "server.console_form_timeout", "server.websocket_ping_interval", "server.metrics_access",
        "limits.max_event_size", "limits.max_batch_events", "limits.max_request_body",
    ]

    /// Reads the server keys of the exchange configuration file.
    ///
    /// Keys (relative paths resolve against the file's directory; each is documented in
    /// Config/README.md):
    /// - `server.host`: listen address, default `127.0.0.1`.
    /// - `server.port`: listen port 0-65535, default 8443 (0 picks a free port).
    /// - `server.tls.certificate`: server certificate chain, PEM. Required.
    /// - `server.tls.private_key`: server private key, PEM. Required.
    /// - `server.tls.client_ca`: CA certificates client certificates must chain to, PEM. Required.
    /// - `server.tls.require_client_certificate`: `true` refuses a handshake without a client
    ///   certificate; default `false` (certificates optional, verified when presented).
    /// - `server.tls.revoked_certificates`: a file of revoked client certificates, one SHA-256
    ///   fingerprint a line; absent = none revoked.
    /// - `server.tokens_file`: bearer tokens file (JSON, see ``TokenFile``); absent = no tokens.
    /// - `server.max_connections`: most connections open at once, 1-1000000, default 4096; the
    ///   daemon lowers it to the open-file limit less 128 (see ``ConnectionLimits``).
    /// - `server.max_connections_per_certificate`: most connections one client certificate holds
    ///   at once, 1-1000000, default a quarter of the connection limit in force.
    /// - `server.handshake_timeout`: longest TLS handshake, a duration, default `10s`.
    /// - `server.request_head_timeout`: longest request head from its first byte, a duration,
    ///   default `10s`.
    /// - `server.idle_timeout`: longest wait for a request (first or next), a duration, default `60s`.
    /// - `server.request_body_timeout`: longest request body from the end of its head, a duration,
    ///   default `60s`.
    /// - `server.console_form_timeout`: longest console form body on a connection without a
    ///   client certificate, a duration, default `10s`.
    /// - `server.websocket_ping_interval`: WebSocket ping period, a duration, default `30s`; `0`
    ///   sends no pings.
    /// - `server.metrics_access`: who may read `/metrics`, `public` (default) or `operator` (an
    ///   `operator` bearer token only).
    /// - `limits.max_event_size`: largest CloudEvent, a size, default `1MiB`.
    /// - `limits.max_batch_events`: most events per batch, 1-100000, default 1000.
    /// - `limits.max_request_body`: largest request body, a size, default `16MiB`; at least
    ///   `limits.max_event_size`.
    init(reader: ConfigReader) throws {
        guard let certificate = try reader.path("server.tls.certificate") else {
            throw reader.problem("server.tls.certificate", "is required (PEM server certificate)")
        }
        guard let key = try reader.path("server.tls.private_key") else {
            throw reader.problem("server.tls.private_key", "is required (PEM server private key)")
        }
        guard let clientCA = try reader.path("server.tls.client_ca") else {
            throw reader.problem("server.tls.client_ca", "is required (PEM CA of department certificates)")
        }
        let host = try reader.string("server.host") ?? "127.0.0.1"
        guard !host.isEmpty else { throw reader.problem("server.host", "must not be empty") }
        let defaults = ServerLimits.default
        let limits = ServerLimits(
            maxEventSize: try reader.size("limits.max_event_size") ?? defaults.maxEventSize,
            maxBatchEvents: try reader.integer("limits.max_batch_events", in: 1...100_000) ?? defaults.maxBatchEvents,
            maxRequestBody: try reader.size("limits.max_request_body") ?? defaults.maxRequestBody)
        guard limits.maxRequestBody >= limits.maxEventSize else {
            throw reader.problem("limits.max_request_body", "must be at least limits.max_event_size")
        }
        let connectionDefaults = ConnectionLimits.default
        func timeout(_ key: String, _ fallback: Duration) throws -> Duration {
            guard let value = try reader.duration(key) else { return fallback }
            guard value >= .milliseconds(100), value <= .seconds(3600) else { throw reader.problem(key, "must be from 100ms to 1h") }
            return value
        }
        var ping = connectionDefaults.webSocketPingInterval
        if let value = try reader.duration("server.websocket_ping_interval") {
            guard value == .zero || (value >= .seconds(1) && value <= .seconds(3600)) else {
                throw reader.problem("server.websocket_ping_interval", "must be 0 (no pings) or from 1s to 1h")
            }
            ping = value == .zero ? nil : value
        }
        let connections = ConnectionLimits(
            maxConnections: try reader.integer("server.max_connections", in: 1...1_000_000) ?? connectionDefaults.maxConnections,
            handshakeTimeout: try timeout("server.handshake_timeout", connectionDefaults.handshakeTimeout),
            requestHeadTimeout: try timeout("server.request_head_timeout", connectionDefaults.requestHeadTimeout),
            idleTimeout: try timeout("server.idle_timeout", connectionDefaults.idleTimeout),
            requestBodyTimeout: try timeout("server.request_body_timeout", connectionDefaults.requestBodyTimeout),
            consoleFormTimeout: try timeout("server.console_form_timeout", connectionDefaults.consoleFormTimeout),
            webSocketPingInterval: ping,
            maxConnectionsPerCertificate: try reader.integer("server.max_connections_per_certificate", in: 1...1_000_000))
        self.init(
            host: host,
            port: try reader.integer("server.port", in: 0...65535) ?? 8443,
            certificatePath: certificate,
            privateKeyPath: key,
            clientCAPath: clientCA,
            requireClientCertificate: try reader.bool("server.tls.require_client_certificate") ?? false,
            limits: limits,
            connections: connections,
            tokensPath: try reader.path("server.tokens_file"),
            revokedCertificatesPath: try reader.path("server.tls.revoked_certificates"))
        if let text = try reader.string("server.metrics_access") {
            guard let access = MetricsAccess(rawValue: text) else {
                throw reader.problem("server.metrics_access", "\"\(text.prefix(64))\" is not public or operator")
            }
            metricsAccess = access
        }
    }
}
