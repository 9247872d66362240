public import ExchangeModel

/// The HTTPS listener: address, TLS material, client certificate policy, limits, connection
/// limits and timeouts, and tokens.
///
/// Every field has a default except the TLS paths, which the daemon requires. See
/// `ServerConfiguration+ConfigReader.swift` for the configuration keys.
public struct ServerConfiguration: Sendable, Equatable {
    /// The address to listen on (`server.host`, default `127.0.0.1`).
    public var host: String
    /// The port to listen on (`server.port`, default 8443; 0 picks a free port).
    public var port: Int
    /// PEM file of the server certificate, leaf first, then intermediates (`server.tls.certificate`).
    public var certificatePath: String
    /// PEM file of the server's private key (`server.tls.private_key`).
    public var privateKeyPath: String
    /// PEM file of the CA(s) department client certificates must chain to (`server.tls.client_ca`).
    public var clientCAPath: String
    /// Whether the TLS handshake itself refuses clients without a certificate
    /// (`server.tls.require_client_certificate`, default `false`).
    ///
    /// With `false`, a client certificate is optional at the TLS layer, so the portal, auditors and
    /// admins can connect with bearer tokens only, but a certificate that is presented must chain
    /// to `client_ca` or the handshake fails (swift-nio-ssl's `CertificateVerification.optionalVerification`:
    /// BoringSSL `SSL_VERIFY_PEER` without `SSL_VERIFY_FAIL_IF_NO_PEER_CERT`). With `true`, a
    /// missing certificate fails the handshake ("certificate required"), which suits a listener
    /// serving departments only.
    public var requireClientCertificate: Bool
    /// Request size limits.
    public var limits: ServerLimits
    /// Connection count limit and timeouts (`server.max_connections`, `server.*_timeout`,
    /// `server.websocket_ping_interval`).
    public var connections: ConnectionLimits
    /// The bearer tokens file (`server.tokens_file`); `nil` accepts no tokens.
    public var tokensPath: String?
    /// A file of revoked client certificates, one SHA-256 fingerprint a line
    /// (`server.tls.revoked_certificates`); re-read with the TLS files. `nil`: none revoked.
    public var revokedCertificatesPath: String?
    /// Who may read `GET /metrics` (`server.metrics_access`); default ``MetricsAccess/public``.
    public var metricsAccess: MetricsAccess = .public

    /// Who may read `GET /metrics`. Its series name every subscription (with its owner and
    /// lag) and every agreement in force: what departments share with whom.
    public enum MetricsAccess: String, Sendable, Equatable, CaseIterable {
        /// Anyone who completes the TLS handshake: for a listener whose network only the
        /// departments and the monitoring system reach.
        case `public`
        /// Only a bearer token of the `operator` role (the separated operation role), as
        /// Prometheus sends it with `authorization: {credentials_file: ...}`; others get 401 or
        /// 403, audited as every refusal.
        case `operator`
    }

    /// Creates a configuration.
    /// - Parameters:
    ///   - host: the listen address.
    ///   - port: the listen port.
    ///   - certificatePath: the server certificate chain, PEM.
    ///   - privateKeyPath: the server key, PEM.
    ///   - clientCAPath: the client CA certificates, PEM.
    ///   - requireClientCertificate: whether a client certificate is mandatory at the TLS layer.
    ///   - limits: request size limits.
    ///   - connections: connection count limit and timeouts.
    ///   - tokensPath: the bearer tokens file.
    ///   - revokedCertificatesPath: the file of revoked client certificate fingerprints.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8443,
        certificatePath: String,
        privateKeyPath: String,
        clientCAPath: String,
        requireClientCertificate: Bool = false,
        limits: ServerLimits = .default,
        connections: ConnectionLimits = .default,
        tokensPath: String? = nil,
        revokedCertificatesPath: String? = nil
    ) {
        self.revokedCertificatesPath = revokedCertificatesPath
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.requireClientCertificate = requireClientCertificate
        self.limits = limits
        self.connections = connections
        self.tokensPath = tokensPath
    }
}

/// Size limits applied to requests before any handler sees them.
public struct ServerLimits: Sendable, Equatable {
    /// The limits of one event and one batch (`limits.max_event_size`, `limits.max_batch_events`),
    /// handed to the engine's configuration, from which the routes' CloudEvents parser reads them.
    public var publish: PublishLimits
    /// The largest request body, bytes (`limits.max_request_body`, default 16 MiB); larger
    /// bodies are refused with 413 `http.body_too_large`.
    public var maxRequestBody: Int

    /// The largest single CloudEvent, bytes (`limits.max_event_size`, default 1 MiB).
    public var maxEventSize: Int {
        get { publish.maxEventSize }
        set { publish.maxEventSize = newValue }
    }

    /// The most events in one batch (`limits.max_batch_events`, default 1000).
    public var maxBatchEvents: Int {
        get { publish.maxBatchEvents }
        set { publish.maxBatchEvents = newValue }
    }

    /// Creates limits.
    public init(maxEventSize: Int = 1 << 20, maxBatchEvents: Int = 1000, maxRequestBody: Int = 16 << 20) {
        self.publish = PublishLimits(maxEventSize: maxEventSize, maxBatchEvents: maxBatchEvents)
        self.maxRequestBody = maxRequestBody
    }

    /// 1 MiB events, 1000 events a batch, 16 MiB bodies.
    public static let `default` = ServerLimits()
}
