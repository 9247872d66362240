public import ExchangeIdentity
public import ExchangeStore
public import Foundation
public import Prometheus
import Synchronization

/// The gauges an operator watches for trouble coming, set before each scrape of `/metrics`
/// (docs/metrics.md, "Operations"): per subscription its lag, pending count and oldest
/// pending age; how old the latest signed audit checkpoint is; how long the server's and the
/// client CAs' certificates remain valid.
///
/// Per-subscription series carry `subscription` and `department` labels. Subscriptions are
/// not bounded by configuration, so the series are: at most ``maxSubscriptionSeries``
/// subscriptions (the oldest, in creation order) get series, the number left out is
/// `exchange_subscription_series_omitted`, and the series of a deleted subscription are
/// removed at the next scrape.
///
/// ```swift
/// let operational = OperationalMetrics(registry: registry)
/// operational.record(subscriptions: try store.subscriptionProgress(limit: OperationalMetrics.maxSubscriptionSeries + 1))
/// ```
public final class OperationalMetrics: Sendable {
    /// The most subscriptions that get series: 1,000.
    public static let maxSubscriptionSeries = 1_000

    private struct SubscriptionGauges: Sendable {
        let lag: Gauge
        let pending: Gauge
        let oldestPendingAge: Gauge
    }

    private let registry: PrometheusCollectorRegistry
    private let subscriptionGauges = Mutex<[String: SubscriptionGauges]>([:])
    private let omitted: Gauge
    private let checkpointAge: Gauge
    private let uncheckpointed: Gauge
    private let certificateGauges = Mutex<[(gauge: Gauge, notValidAfter: Date)]>([])

    /// Creates the metrics in `registry`: the checkpoint series and the omitted count at once,
    /// the others as they are recorded.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        omitted = Self.gauge(registry, "exchange_subscription_series_omitted")
        checkpointAge = Self.gauge(registry, "exchange_audit_checkpoint_age_seconds")
        uncheckpointed = Self.gauge(registry, "exchange_audit_uncheckpointed_entries")
    }

    /// The help line of each series (docs/metrics.md describes them fully).
    static let help: [String: String] = [
        "exchange_subscription_series_omitted": "Subscriptions beyond the first 1000 that get no per-subscription series.",
        "exchange_audit_checkpoint_age_seconds": "Seconds since the latest signed audit checkpoint was issued.",
        "exchange_audit_uncheckpointed_entries": "Audit entries the latest signed checkpoint does not cover.",
        "exchange_subscription_lag": "Sequences of the owner's inbox at or after the subscription's position.",
        "exchange_subscription_pending": "Delivered events the subscription has not acknowledged.",
        "exchange_subscription_oldest_pending_age_seconds": "Seconds since the oldest pending event was received (0 when none is pending).",
        "exchange_certificate_expiry_days": "Days until the certificate expires (negative once expired).",
    ]

    static func gauge(_ registry: PrometheusCollectorRegistry, _ name: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? ""), labels: labels)
    }

    /// Sets the subscription series from `progress` (``ExchangeStore/subscriptionProgress(limit:)``
    /// read with a limit one past ``maxSubscriptionSeries``, or more) at `now`, ns since the
    /// Unix epoch, and removes those of subscriptions no longer listed.
    /// - Parameter total: how many subscriptions exist, for the omitted count.
    public func record(subscriptions progress: [SubscriptionProgress], total: Int, now: UInt64) {
        let shown = progress.prefix(Self.maxSubscriptionSeries)
        omitted.set(Double(max(0, total - shown.count)))
        let removed: [SubscriptionGauges] = subscriptionGauges.withLock { gauges in
            var seen = Set<String>()
            for item in shown {
                seen.insert(item.name)
                let series = gauges[item.name] ?? {
                    let labels = [("subscription", item.name), ("department", item.owner)]
                    let made = SubscriptionGauges(
                        lag: Self.gauge(registry, "exchange_subscription_lag", labels),
                        pending: Self.gauge(registry, "exchange_subscription_pending", labels),
                        oldestPendingAge: Self.gauge(registry, "exchange_subscription_oldest_pending_age_seconds", labels))
                    gauges[item.name] = made
                    return made
                }()
                series.lag.set(Double(item.lag))
                series.pending.set(Double(item.pending))
                let age = item.oldestPendingReceivedAt.map { now > $0 ? Double(now - $0) / 1e9 : 0 } ?? 0
                series.oldestPendingAge.set(age)
            }
            let gone = gauges.keys.filter { !seen.contains($0) }
            return gone.compactMap { gauges.removeValue(forKey: $0) }
        }
        for series in removed {
            registry.unregisterGauge(series.lag)
            registry.unregisterGauge(series.pending)
            registry.unregisterGauge(series.oldestPendingAge)
        }
    }

    /// Sets the checkpoint series: seconds since the latest signed checkpoint, and the audit
    /// entries it does not cover (`CheckpointIssuer.currency()`).
    public func record(checkpointAgeSeconds age: Double, uncheckpointedEntries: UInt64) {
        checkpointAge.set(age)
        uncheckpointed.set(Double(uncheckpointedEntries))
    }

    /// Tracks `exchange_certificate_expiry_days{certificate, subject}` for each certificate,
    /// replacing those tracked before; ``refreshCertificates(now:)`` sets the values. Two
    /// certificates with the same labels share a series, which shows the earlier expiry.
    /// - Parameter certificates: `certificate` is `server` or `client_ca`; the subject is cut
    ///   to 256 bytes.
    public func track(certificates: [(certificate: String, validity: CertificateValidity)]) {
        var made: [(gauge: Gauge, notValidAfter: Date)] = []
        for item in certificates {
            var subject = item.validity.subject
            while subject.utf8.count > 256 { subject.removeLast() }
            let gauge = Self.gauge(registry, "exchange_certificate_expiry_days", [("certificate", item.certificate), ("subject", subject)])
            if let index = made.firstIndex(where: { $0.gauge === gauge }) {
                made[index].notValidAfter = min(made[index].notValidAfter, item.validity.notValidAfter)
            } else {
                made.append((gauge, item.validity.notValidAfter))
            }
        }
        let old = certificateGauges.withLock { gauges in
            defer { gauges = made }
            return gauges
        }
        for entry in old where !made.contains(where: { $0.gauge === entry.gauge }) {
            registry.unregisterGauge(entry.gauge)
        }
    }

    /// Sets each tracked certificate's days to expiry at `now` (negative once expired).
    public func refreshCertificates(now: Date) {
        for entry in certificateGauges.withLock({ $0 }) {
            entry.gauge.set(entry.notValidAfter.timeIntervalSince(now) / 86_400)
        }
    }
}
