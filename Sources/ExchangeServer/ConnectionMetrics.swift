public import CoreMetrics

/// The listener's connection metrics, through swift-metrics like `ExchangeMetrics` (docs/metrics.md).
public struct ConnectionMetrics: Sendable {
    /// A timeout that closes a connection.
    public enum Timeout: String, Sendable, CaseIterable {
        /// The TLS handshake took longer than `server.handshake_timeout`.
        case handshake
        /// A request head took longer than `server.request_head_timeout`.
        case requestHead = "request_head"
        /// No request came within `server.idle_timeout`.
        case idle
        /// A request body took longer than `server.request_body_timeout`.
        case requestBody = "request_body"
    }

    /// Connections open now.
    public let open: CoreMetrics.Gauge
    /// New connections closed at once at the limit, none being evictable.
    public let refused: CoreMetrics.Counter
    /// Connections refused after their handshake because their client certificate held its
    /// share (`exchange_connections_shed_total{action="refused",phase="over_certificate_share"}`).
    public let overCertificateShare: CoreMetrics.Counter
    private let evictedCounters: [ConnectionPhase: CoreMetrics.Counter]
    private let timeoutCounters: [Timeout: CoreMetrics.Counter]
    /// Malformed requests answered 400 before routing (bad request line or headers, an
    /// ambiguous length, a WebSocket upgrade without its key).
    public let badRequests: CoreMetrics.Counter
    /// Requests their client abandoned while they were read (``ClientAbort``): answered
    /// nothing, logged with status 499.
    public let abortedRequests: CoreMetrics.Counter

    /// Creates the metrics.
    /// - Parameter factory: the factory to create them with; `nil` uses the bootstrapped `MetricsSystem`.
    public init(factory: (any MetricsFactory)? = nil) {
        func counter(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            if let factory { return CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory) }
            return CoreMetrics.Counter(label: label, dimensions: dimensions)
        }
        open = factory.map { CoreMetrics.Gauge(label: "exchange_connections_open", factory: $0) } ?? CoreMetrics.Gauge(label: "exchange_connections_open")
        refused = counter("exchange_connections_shed_total", [("action", "refused"), ("phase", "at_limit")])
        overCertificateShare = counter("exchange_connections_shed_total", [("action", "refused"), ("phase", "over_certificate_share")])
        var evicted: [ConnectionPhase: CoreMetrics.Counter] = [:]
        for phase in ConnectionPhase.allCases where phase.isEvictable {
            evicted[phase] = counter("exchange_connections_shed_total", [("action", "evicted"), ("phase", phase.rawValue)])
        }
        evictedCounters = evicted
        var timeouts: [Timeout: CoreMetrics.Counter] = [:]
        for kind in Timeout.allCases {
            timeouts[kind] = counter("exchange_connection_timeouts_total", [("kind", kind.rawValue)])
        }
        timeoutCounters = timeouts
        badRequests = counter("exchange_bad_requests_total")
        abortedRequests = counter("exchange_requests_aborted_total")
    }

    /// The counter of connections evicted in `phase`.
    public func evicted(_ phase: ConnectionPhase) -> CoreMetrics.Counter? {
        evictedCounters[phase]
    }

    /// The counter of connections closed by `kind` of timeout.
    public func timeouts(_ kind: Timeout) -> CoreMetrics.Counter {
        timeoutCounters[kind]!
    }
}
