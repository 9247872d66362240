public import ExchangeConfig
import ExchangeIdentity
import ExchangeWire
import HTTPTypes
public import Hummingbird
import NIOCore
public import Prometheus

/// The unauthenticated operations endpoints.
///
/// - `GET /healthz`: 200 `ok` while the process serves requests.
/// - `GET /readyz`: 200 `ready` when the readiness closure says so, else 503 `server.not_ready`.
/// - `GET /metrics`: the Prometheus text exposition of the metrics registry; with
///   `server.metrics_access: operator`, to an `operator` bearer token only.
public struct OperationsRoutes: Sendable {
    let metricsRegistry: PrometheusCollectorRegistry
    let metricsAccess: ExchangeConfig.ServerConfiguration.MetricsAccess
    let readiness: @Sendable () async -> Bool
    let beforeScrape: @Sendable () -> Void

    /// Creates the endpoints.
    /// - Parameters:
    ///   - metricsRegistry: the Prometheus registry `/metrics` serves.
    ///   - readiness: whether the exchange takes traffic (store open, routing loaded).
    ///   - beforeScrape: called before each `/metrics` answer, to refresh gauges (store size).
    ///   - metricsAccess: who may read `/metrics` (default: anyone).
    public init(
        metricsRegistry: PrometheusCollectorRegistry, readiness: @escaping @Sendable () async -> Bool,
        beforeScrape: @escaping @Sendable () -> Void = {}, metricsAccess: ExchangeConfig.ServerConfiguration.MetricsAccess = .public
    ) {
        self.metricsRegistry = metricsRegistry
        self.metricsAccess = metricsAccess
        self.readiness = readiness
        self.beforeScrape = beforeScrape
    }

    /// The paths served, each with `GET` only.
    public static let paths = ["/healthz", "/readyz", "/metrics"]

    /// Adds the endpoints to `router`.
    public func register(on router: some RouterMethods<ExchangeRequestContext>) {
        router.get("healthz") { _, _ in
            Self.text("ok\n", contentType: "text/plain; charset=utf-8")
        }
        router.get("readyz") { _, _ in
            guard await readiness() else {
                throw ProblemError(.notReady, detail: "the exchange is not ready to take requests")
            }
            return Self.text("ready\n", contentType: "text/plain; charset=utf-8")
        }
        router.get("metrics") { _, context in
            if metricsAccess == .operator { _ = try context.requireRole(.operator) }
            beforeScrape()
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            metricsRegistry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
