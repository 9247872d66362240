public import CoreMetrics
public import ExchangeRouting
public import Foundation
import Synchronization

/// What the exchange remembers of the agreements' standings between checks, and the metrics
/// it keeps of them: `exchange_agreements{status}` and
/// `exchange_agreement_days_to_expiry{agreement}` (docs/metrics.md).
///
/// ``Exchange/checkAgreementStandings(at:checked:)`` compares each agreement's standing now
/// with the one remembered here and writes what changed.
public final class AgreementWatch: Sendable {
    /// When the exchange looks at the agreements' windows, and how early it warns.
    public struct Configuration: Sendable, Equatable {
        /// Days before `valid_until` at which an agreement in force is reported as expiring
        /// (`agreements.expiry_warning_days`, 0 to 3,650; 0 warns never). Default 14.
        public var expiryWarningDays: Int
        /// The longest the daemon waits between two checks (`agreements.check_interval`, 1 s to
        /// 1 h). It also wakes at the next `valid_from` or `valid_until` due. Default 60 s.
        public var checkInterval: Duration

        /// Creates a configuration; defaults as documented on each property.
        public init(expiryWarningDays: Int = 14, checkInterval: Duration = .seconds(60)) {
            self.expiryWarningDays = expiryWarningDays
            self.checkInterval = checkInterval
        }
    }

    struct Known: Equatable {
        var version: Int
        var standing: Agreement.Standing
    }

    struct State {
        /// Standings as of the last check, by agreement id; empty before the first.
        var known: [String: Known] = [:]
        var checked = false
        /// Agreements already reported as expiring: "id vN until".
        var warned: Set<String> = []
        var expiryGauges: [String: Gauge] = [:]
    }

    let configuration: Configuration
    let state = Mutex(State())
    private let standingGauges: [Agreement.Standing: Gauge]
    private let factory: (any MetricsFactory)?

    /// Creates a watch.
    /// - Parameters:
    ///   - configuration: the warning period and the check interval.
    ///   - factory: the metrics factory; `nil` uses the bootstrapped `MetricsSystem`.
    public init(configuration: Configuration = .init(), factory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.factory = factory
        var gauges: [Agreement.Standing: Gauge] = [:]
        for standing in Agreement.Standing.allCases {
            let dimensions = [("status", standing.rawValue)]
            gauges[standing] =
                factory.map { Gauge(label: "exchange_agreements", dimensions: dimensions, factory: $0) }
                ?? Gauge(label: "exchange_agreements", dimensions: dimensions)
        }
        self.standingGauges = gauges
    }

    /// Sets the metrics from the agreements and their standings at `now`: the count per
    /// standing, and the days to expiry of each agreement that has a `valid_until` (the series
    /// of agreements no longer given are removed).
    /// - Parameters:
    ///   - agreements: every agreement of the configuration in force.
    ///   - now: the instant.
    public func record(_ agreements: [Agreement], at now: Date) {
        var counts: [Agreement.Standing: Int] = [:]
        for agreement in agreements { counts[agreement.standing(at: now), default: 0] += 1 }
        for (standing, gauge) in standingGauges { gauge.record(counts[standing] ?? 0) }
        state.withLock { state in
            var gone = Set(state.expiryGauges.keys)
            for agreement in agreements {
                gone.remove(agreement.id)
                guard let until = agreement.validUntil else {
                    state.expiryGauges.removeValue(forKey: agreement.id)?.destroy()
                    continue
                }
                let gauge = state.expiryGauges[agreement.id] ?? {
                    let dimensions = [("agreement", agreement.id)]
                    return factory.map { Gauge(label: "exchange_agreement_days_to_expiry", dimensions: dimensions, factory: $0) }
                        ?? Gauge(label: "exchange_agreement_days_to_expiry", dimensions: dimensions)
                }()
                state.expiryGauges[agreement.id] = gauge
                gauge.record(until.timeIntervalSince(now) / 86_400)
            }
            for id in gone { state.expiryGauges.removeValue(forKey: id)?.destroy() }
        }
    }
}
