import CoreMetrics
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import Foundation
import Prometheus
import Testing

/// The writer's busy time as Prometheus counters: what operators watch for the serial stage of
/// every write.
@Suite struct ExchangeMetricsTests {
    static func statistics(
        applying: UInt64, committing: UInt64, cpu: UInt64, merges: UInt64 = 0, merging: UInt64 = 0
    ) -> StoreStatistics {
        StoreStatistics(
            mapSize: 1 << 20, maxMapSize: 1 << 30, usedBytes: 4096, lastSequence: 0, auditCount: 0,
            writerApplyingNanoseconds: applying, writerCommittingNanoseconds: committing, writerCPUNanoseconds: cpu,
            dedupMerges: merges, dedupMergeNanoseconds: merging)
    }

    static func exposition(_ registry: PrometheusCollectorRegistry) -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func writerTimeTotalsBecomeCounterIncrements() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ExchangeMetrics(factory: ExchangeMetrics.makePrometheusFactory(registry: registry))
        metrics.record(Self.statistics(applying: 1_500_000_000, committing: 2_000_000_000, cpu: 1_000_000_000))
        metrics.record(Self.statistics(applying: 2_500_000_000, committing: 2_000_000_000, cpu: 1_750_000_000))
        var text = Self.exposition(registry)
        #expect(text.contains(#"exchange_writer_seconds_total{phase="applying"} 2.5"#), "\(text)")
        #expect(text.contains(#"exchange_writer_seconds_total{phase="committing"} 2.0"#), "\(text)")
        #expect(text.contains("exchange_writer_cpu_seconds_total 1.75"), "\(text)")
        // A store opened anew starts its totals at zero again: they add, never subtract.
        metrics.record(Self.statistics(applying: 500_000_000, committing: 250_000_000, cpu: 500_000_000))
        text = Self.exposition(registry)
        #expect(text.contains(#"exchange_writer_seconds_total{phase="applying"} 3.0"#), "\(text)")
        #expect(text.contains(#"exchange_writer_seconds_total{phase="committing"} 2.25"#), "\(text)")
        #expect(text.contains("exchange_writer_cpu_seconds_total 2.25"), "\(text)")
    }

    @Test func deduplicationMergesBecomeACountAndSeconds() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ExchangeMetrics(factory: ExchangeMetrics.makePrometheusFactory(registry: registry))
        metrics.record(Self.statistics(applying: 0, committing: 0, cpu: 0))
        var text = Self.exposition(registry)
        #expect(text.contains("exchange_dedup_merges_total 0"), "exported before the first merge: \(text)")
        metrics.record(Self.statistics(applying: 1, committing: 1, cpu: 1, merges: 2, merging: 500_000_000))
        metrics.record(Self.statistics(applying: 2, committing: 2, cpu: 2, merges: 3, merging: 1_250_000_000))
        text = Self.exposition(registry)
        #expect(text.contains("exchange_dedup_merges_total 3"), "\(text)")
        #expect(text.contains("exchange_dedup_merge_seconds_total 1.25"), "\(text)")
        // A store opened anew counts its merges from zero: the counters keep adding.
        metrics.record(Self.statistics(applying: 0, committing: 0, cpu: 0, merges: 1, merging: 250_000_000))
        text = Self.exposition(registry)
        #expect(text.contains("exchange_dedup_merges_total 4"), "\(text)")
        #expect(text.contains("exchange_dedup_merge_seconds_total 1.5"), "\(text)")
    }

    @Test func bookkeepingLingersBecomeCountsByOutcome() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ExchangeMetrics(factory: ExchangeMetrics.makePrometheusFactory(registry: registry))
        var statistics = Self.statistics(applying: 0, committing: 0, cpu: 0)
        statistics.bookkeepingLingers = 10
        statistics.bookkeepingLingerRides = 7
        metrics.record(statistics)
        statistics.bookkeepingLingers = 15
        statistics.bookkeepingLingerRides = 11
        metrics.record(statistics)
        let text = Self.exposition(registry)
        #expect(text.contains(#"exchange_writer_lingers_total{outcome="rode"} 11"#), "\(text)")
        #expect(text.contains(#"exchange_writer_lingers_total{outcome="alone"} 4"#), "\(text)")
    }

    /// docs/metrics.md is the one table of the series `/metrics` serves: every series the
    /// exchange declares is in it, and it names none the exchange does not declare.
    @Test func everySeriesIsInTheMetricsTable() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = ExchangeMetrics.makePrometheusFactory(registry: registry)
        let metrics = ExchangeMetrics(factory: factory)
        _ = ConnectionMetrics(factory: factory)
        AgreementWatch(factory: factory).record(
            [Agreement(id: "a", provider: DepartmentID("msa")!, consumers: [DepartmentID("tax")!], topics: [TopicPattern("x")!], validUntil: Date())],
            at: Date())
        metrics.record(Self.statistics(applying: 1, committing: 1, cpu: 1))
        metrics.publishLatency.recordNanoseconds(1)
        metrics.commitLatency.recordNanoseconds(1)
        metrics.commitBatchSize.record(1)
        let operational = OperationalMetrics(registry: registry)
        operational.record(
            subscriptions: [SubscriptionProgress(name: "feed", owner: "tax", position: 1, inboxHead: 1, pending: 0, oldestPendingReceivedAt: nil)],
            total: 1, now: 1)
        operational.track(certificates: [("server", CertificateValidity(subject: "CN=exchange", notValidAfter: Date()))])
        let served = Set(
            Self.exposition(registry).split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard words.count >= 3, words[0] == "#", words[1] == "TYPE" else { return nil }
                return String(words[2])
            })
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/metrics.md").standardized
        let table = try String(contentsOf: url, encoding: .utf8)
        let documented = Set(
            table.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| `exchange_") else { return nil }
                return String(line.dropFirst(3).prefix { $0 != "`" })
            })
        #expect(!served.isEmpty)
        #expect(served.subtracting(documented).isEmpty, "served but not in docs/metrics.md: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "in docs/metrics.md but not served: \(documented.subtracting(served).sorted())")
    }
}
