import Metrics

/// The engine's metrics, created through swift-metrics so that the daemon chooses the backend.
/// Labels and dimensions match `ExchangeMetrics` in the server, so both name the same series.
struct EngineMetrics: Sendable {
    let published = Counter(label: "exchange_publishes_total", dimensions: [("outcome", "accepted")])
    let duplicates = Counter(label: "exchange_publishes_total", dimensions: [("outcome", "duplicate")])
    let rejected = Counter(label: "exchange_publishes_total", dimensions: [("outcome", "rejected")])
    let routes = Counter(label: "exchange_routes_total")
    let deliveries = Counter(label: "exchange_deliveries_total")
    let redeliveries = Counter(label: "exchange_redeliveries_total")
    let acks = Counter(label: "exchange_acks_total")
    let naks = Counter(label: "exchange_naks_total")
    let deadLetters = Counter(label: "exchange_dead_letters_total")
    let withheld = Counter(label: "exchange_withheld_total")
    let replayed = Counter(label: "exchange_replayed_events_total")
    let publishLatency = Timer(label: "exchange_publish_duration_seconds")
}
