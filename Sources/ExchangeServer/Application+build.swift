public import ExchangeConfig
import ExchangeEngine
public import ExchangeIdentity
public import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
public import Logging
public import NIOCore
import NIOSSL
public import Prometheus
public import ServiceLifecycle

/// What the exchange server needs besides its configuration.
public struct ServerDependencies: Sendable {
    /// Maps client certificates to departments.
    public var identityResolver: any CertificateIdentityResolver
    /// The bearer tokens; `nil` accepts none.
    public var tokens: TokenStore?
    /// The Prometheus registry `/metrics` serves.
    public var metricsRegistry: PrometheusCollectorRegistry
    /// Whether the exchange takes traffic; `/readyz` answers 503 while it returns `false`.
    public var readiness: @Sendable () async -> Bool
    /// Receives every refused request to audit (see ``RefusalObserver``).
    public var refusalObserver: RefusalObserver
    /// Called before each `/metrics` answer, to refresh gauges such as the store size.
    public var beforeScrape: @Sendable () -> Void
    /// Where the listener counts open, shed and timed-out connections.
    public var connectionMetrics: ConnectionMetrics
    /// The revoked client certificates in force, asked on every request; ``buildApplication(configuration:dependencies:logger:tls:services:onServerRunning:routes:webSocketRoutes:)``
    /// sets it to its TLS context's list (re-read with the TLS files). Default: none revoked.
    public var revokedCertificates: @Sendable () -> RevokedCertificates = { .none }

    /// Creates the dependencies.
    /// - Parameters:
    ///   - identityResolver: maps client certificates to departments.
    ///   - tokens: the bearer tokens.
    ///   - metricsRegistry: the Prometheus registry `/metrics` serves.
    ///   - readiness: the readiness check.
    ///   - refusalObserver: the refusal hook.
    ///   - beforeScrape: refreshes gauges before `/metrics` answers.
    ///   - connectionMetrics: the connection metrics; by default through the bootstrapped `MetricsSystem`.
    public init(
        identityResolver: any CertificateIdentityResolver,
        tokens: TokenStore?,
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        readiness: @escaping @Sendable () async -> Bool = { true },
        refusalObserver: @escaping RefusalObserver = { _ in },
        beforeScrape: @escaping @Sendable () -> Void = {},
        connectionMetrics: ConnectionMetrics = ConnectionMetrics()
    ) {
        self.identityResolver = identityResolver
        self.tokens = tokens
        self.metricsRegistry = metricsRegistry
        self.readiness = readiness
        self.refusalObserver = refusalObserver
        self.beforeScrape = beforeScrape
        self.connectionMetrics = connectionMetrics
    }
}

/// Builds the exchange's HTTPS application: TLS (client certificates per ``ServerConfiguration``),
/// HTTP/1.1 with WebSocket upgrade, connections held to ``ConnectionLimits`` (a limit lowered to
/// the open-file limit less ``ConnectionLimits/descriptorReserve``, logged; timeouts per phase;
/// malformed requests answered 400), the middleware stack (problem+json errors and refusal
/// reporting, request logging, body limit, authentication), the operations endpoints, and the
/// routes the engine registers.
///
/// The engine's routes are added under `/v1` behind ``RequireAuthenticationMiddleware``: every
/// route there has a principal, and checks its role with ``ExchangeRequestContext/requireRole(_:)``.
/// WebSocket routes go on a separate router with the same middleware stack.
///
/// ```swift
/// let app = try buildApplication(
///     configuration: configuration.server,
///     dependencies: ServerDependencies(identityResolver: resolver, tokens: tokens),
///     logger: logger,
///     routes: { v1 in
///         v1.post("events") { request, context in ... }
///     },
///     webSocketRoutes: { v1 in
///         v1.ws("subscriptions/stream") { _, _ in .upgrade() } onUpgrade: { inbound, outbound, context in ... }
///     })
/// try await app.runService()
/// ```
/// - Parameters:
///   - configuration: address, TLS, limits.
///   - dependencies: identity resolver, tokens, metrics registry, readiness, refusal hook.
///   - logger: the server logger; refused TLS handshakes are lowered to debug.
///   - services: further services run in the application's service group.
///   - onServerRunning: called with the listening channel (its `localAddress` has the bound port).
///   - routes: registers the engine's HTTP routes on the authenticated `/v1` group.
///   - webSocketRoutes: registers the engine's WebSocket routes on the authenticated `/v1` group.
///   - tls: the TLS context, to reload it later (``ServerTLSContext/reload()``); by default one
///     read from `configuration` that nothing reloads.
///   - console: the web console, mounted under `/console` when given.
/// - Returns: the application, to run with `runService()` or inside a `ServiceGroup`.
public func buildApplication(
    configuration: ExchangeConfig.ServerConfiguration,
    dependencies: ServerDependencies,
    logger: Logger,
    tls: ServerTLSContext? = nil,
    services: [any Service] = [],
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
    routes: (RouterGroup<ExchangeRequestContext>) -> Void = { _ in },
    webSocketRoutes: (RouterGroup<ExchangeRequestContext>) -> Void = { _ in },
    console: ConsoleRoutes? = nil
) throws -> some ApplicationProtocol {
    let tls = try tls ?? ServerTLSContext(configuration: configuration)
    let dependencies = {
        var dependencies = dependencies
        dependencies.revokedCertificates = { tls.revokedCertificates }
        return dependencies
    }()
    let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: logger)
    console?.register(on: router)
    routes(router.group("v1").add(middleware: RequireAuthenticationMiddleware()))

    let webSocketRouter = Router(context: ExchangeRequestContext.self)
    // Outermost: hands a refused upgrade's answer to the connection, which writes it.
    webSocketRouter.add(middleware: WebSocketRefusalMiddleware())
    addMiddlewares(to: webSocketRouter, configuration: configuration, dependencies: dependencies, logger: logger)
    webSocketRoutes(webSocketRouter.group("v1").add(middleware: RequireAuthenticationMiddleware()))

    let limits = configuration.connections
    let descriptorLimit = DescriptorLimit.current()
    let maxConnections = limits.effectiveMaxConnections(descriptorLimit: descriptorLimit)
    let governor = ConnectionGovernor(
        maxConnections: maxConnections,
        maxConnectionsPerCertificate: limits.effectiveMaxConnectionsPerCertificate(maxConnections: maxConnections),
        metrics: dependencies.connectionMetrics)
    logger.info(
        "connection limit",
        metadata: [
            "max_connections": "\(governor.maxConnections)", "configured": "\(limits.maxConnections)",
            "per_certificate": "\(governor.maxConnectionsPerCertificate)",
            "open_file_limit": "\(descriptorLimit.map(String.init) ?? "unlimited")",
        ])
    let webSocketResponder = webSocketRouter.buildResponder()
    let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
        ws: WebSocketServerConfiguration(
            // A frame may carry a whole batch of events, as a request body may.
            maxFrameSize: configuration.limits.maxRequestBody,
            extensions: [.nonNegotiatedExtension { WebSocketUnmasking() }],
            autoPing: limits.webSocketPingInterval.map { .enabled(timePeriod: $0) } ?? .disabled,
            // A text frame that is not UTF-8 closes the stream (1007) instead of reaching a
            // handler with its bytes replaced.
            validateUTF8: true))
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GovernedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: channelConfiguration),
                tls: tls, governor: governor, limits: limits, metrics: dependencies.connectionMetrics,
                handshakeRefused: { source, reason in
                    // Refused before any request: nobody is identified, so the refusal is
                    // counted with its source's others (see AnonymousRefusals).
                    let observer = dependencies.refusalObserver
                    Task {
                        await observer(
                            RequestRefusal(
                                actor: nil, role: nil, source: source, method: "TLS", path: "", status: 0, code: "tls.handshake_refused",
                                detail: reason))
                    }
                })
        },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
        services: services,
        onServerRunning: onServerRunning,
        logger: HandshakeLogFilter.wrapping(logger))
}

/// The HTTP router with the middleware stack and the operations endpoints, without TLS: what
/// ``buildApplication(configuration:dependencies:logger:services:onServerRunning:routes:webSocketRoutes:)``
/// serves, for tests that drive routes directly (`app.test(.router)`).
/// - Parameters:
///   - configuration: limits.
///   - dependencies: identity resolver, tokens, metrics registry, readiness, refusal hook.
///   - logger: the request logger.
public func makeRouter(
    configuration: ExchangeConfig.ServerConfiguration, dependencies: ServerDependencies, logger: Logger
) -> Router<ExchangeRequestContext> {
    let router = Router(context: ExchangeRequestContext.self)
    addMiddlewares(to: router, configuration: configuration, dependencies: dependencies, logger: logger)
    OperationsRoutes(
        metricsRegistry: dependencies.metricsRegistry, readiness: dependencies.readiness, beforeScrape: dependencies.beforeScrape,
        metricsAccess: configuration.metricsAccess
    ).register(on: router)
    return router
}

private func addMiddlewares(
    to router: Router<ExchangeRequestContext>, configuration: ExchangeConfig.ServerConfiguration, dependencies: ServerDependencies, logger: Logger
) {
    // Outermost first. Authentication never throws (failures are kept in the context), so the
    // logging and problem middlewares below it see the principal of every request. The request
    // id comes first, so that every line logged while serving the request carries it.
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AuthenticationMiddleware(tokens: dependencies.tokens, resolver: dependencies.identityResolver, revoked: dependencies.revokedCertificates))
    router.add(middleware: RequestLoggingMiddleware(logger: logger))
    router.add(middleware: ProblemMiddleware(refusalObserver: dependencies.refusalObserver, logger: logger, aborted: dependencies.connectionMetrics.abortedRequests))
    router.add(middleware: MethodNotAllowedMiddleware())
    router.add(middleware: BodyLimitMiddleware(maxRequestBody: configuration.limits.maxRequestBody))
}
