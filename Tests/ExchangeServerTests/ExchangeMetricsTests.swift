import ExchangeServer
import ExchangeStore
import Prometheus
import Testing

/// The writer's busy time as Prometheus counters: what operators watch for the serial stage of
/// every write.
@Suite struct ExchangeMetricsTests {
    static func statistics(applying: UInt64, committing: UInt64, cpu: UInt64) -> StoreStatistics {
        StoreStatistics(
            mapSize: 1 << 20, maxMapSize: 1 << 30, usedBytes: 4096, lastSequence: 0, auditCount: 0,
            writerApplyingNanoseconds: applying, writerCommittingNanoseconds: committing, writerCPUNanoseconds: cpu)
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
}
