import ExchangeIdentity
import ExchangeServer
import ExchangeStore
import Foundation
import Prometheus
import Testing

/// The gauges set before each scrape: values, bounded subscription series, and the series of a
/// deleted subscription removed.
@Suite struct OperationalMetricsTests {
    static func exposition(_ registry: PrometheusCollectorRegistry) -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func progress(_ name: String, position: UInt64 = 1, head: UInt64 = 0, pending: Int = 0, oldest: UInt64? = nil) -> SubscriptionProgress {
        SubscriptionProgress(name: name, owner: "tax", position: position, inboxHead: head, pending: pending, oldestPendingReceivedAt: oldest)
    }

    @Test func subscriptionSeriesFollowTheSubscriptions() {
        let registry = PrometheusCollectorRegistry()
        let metrics = OperationalMetrics(registry: registry)
        let now: UInt64 = 100_000_000_000
        metrics.record(
            subscriptions: [Self.progress("a", position: 5, head: 9, pending: 2, oldest: now - 2_500_000_000), Self.progress("b", position: 12, head: 9)],
            total: 2, now: now)
        var text = Self.exposition(registry)
        #expect(text.contains(#"exchange_subscription_lag{subscription="a",department="tax"} 5.0"#), "\(text)")
        #expect(text.contains(#"exchange_subscription_lag{subscription="b",department="tax"} 0.0"#))
        #expect(text.contains(#"exchange_subscription_pending{subscription="a",department="tax"} 2.0"#))
        #expect(text.contains(#"exchange_subscription_oldest_pending_age_seconds{subscription="a",department="tax"} 2.5"#))
        #expect(text.contains(#"exchange_subscription_oldest_pending_age_seconds{subscription="b",department="tax"} 0.0"#))
        #expect(text.contains("exchange_subscription_series_omitted 0.0"))

        metrics.record(subscriptions: [Self.progress("b", position: 1, head: 9)], total: 1, now: now)
        text = Self.exposition(registry)
        #expect(!text.contains(#"subscription="a""#), "a deleted subscription's series go: \(text)")
        #expect(text.contains(#"exchange_subscription_lag{subscription="b",department="tax"} 9.0"#))
    }

    @Test func atMostAThousandSubscriptionsGetSeries() {
        let registry = PrometheusCollectorRegistry()
        let metrics = OperationalMetrics(registry: registry)
        let many = (0..<(OperationalMetrics.maxSubscriptionSeries + 5)).map { Self.progress("s\($0)") }
        metrics.record(subscriptions: many, total: many.count + 10, now: 1)
        let text = Self.exposition(registry)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("exchange_subscription_lag{") }.count == OperationalMetrics.maxSubscriptionSeries)
        #expect(text.contains("exchange_subscription_series_omitted 15.0"), "\(text.suffix(300))")
    }

    @Test func certificateDaysCountDownAndShowTheEarlierOfTwin() {
        let registry = PrometheusCollectorRegistry()
        let metrics = OperationalMetrics(registry: registry)
        let start = Date(timeIntervalSince1970: 1_000_000)
        metrics.track(certificates: [
            ("server", CertificateValidity(subject: "CN=exchange", notValidAfter: start.addingTimeInterval(10 * 86_400))),
            ("client_ca", CertificateValidity(subject: "CN=CA", notValidAfter: start.addingTimeInterval(40 * 86_400))),
            ("client_ca", CertificateValidity(subject: "CN=CA", notValidAfter: start.addingTimeInterval(20 * 86_400))),
        ])
        metrics.refreshCertificates(now: start.addingTimeInterval(86_400 / 2))
        let text = Self.exposition(registry)
        #expect(text.contains(#"exchange_certificate_expiry_days{certificate="server",subject="CN=exchange"} 9.5"#), "\(text)")
        #expect(text.contains(#"exchange_certificate_expiry_days{certificate="client_ca",subject="CN=CA"} 19.5"#))
    }
}
