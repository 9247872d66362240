public import ExchangeEngine
public import Prometheus

extension ExchangeMetrics {
    /// A Prometheus factory over `registry` with the exchange's histogram buckets
    /// (``ExchangeMetrics/valueHistogramBuckets``, ``ExchangeMetrics/durationHistogramBuckets``).
    /// - Parameter registry: the registry `/metrics` serves.
    public static func makePrometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        for (label, buckets) in valueHistogramBuckets {
            factory.valueHistogramBuckets[label] = buckets
        }
        for (label, buckets) in durationHistogramBuckets {
            factory.durationHistogramBuckets[label] = buckets
        }
        return factory
    }
}
