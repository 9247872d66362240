public import CoreMetrics
public import ExchangeStore
public import Prometheus
import Synchronization

/// The metrics the engine updates, created through swift-metrics so that libraries need no
/// backend; the daemon bootstraps `MetricsSystem` with ``makePrometheusFactory(registry:)``.
///
/// | name | kind | labels |
/// | --- | --- | --- |
/// | `exchange_publishes_total` | counter | `outcome`: accepted, duplicate, rejected, failed |
/// | `exchange_commit_batch_size` | histogram (recorder) | |
/// | `exchange_commit_duration_seconds` | histogram (timer) | |
/// | `exchange_deliveries_total` | counter | |
/// | `exchange_acks_total` | counter | |
/// | `exchange_redeliveries_total` | counter | |
/// | `exchange_dead_letters_total` | counter | |
/// | `exchange_subscriptions` | gauge | |
/// | `exchange_store_map_size_bytes` | gauge | |
/// | `exchange_store_used_bytes` | gauge | |
/// | `exchange_writer_seconds_total` | counter | `phase`: applying, committing |
/// | `exchange_writer_cpu_seconds_total` | counter | |
/// | `exchange_dedup_merges_total` | counter | |
/// | `exchange_dedup_merge_seconds_total` | counter | |
///
/// ```swift
/// let metrics = ExchangeMetrics()
/// metrics.publishes(.accepted).increment(by: batch.count)
/// metrics.commitLatency.recordNanoseconds(elapsed)
/// ```
public struct ExchangeMetrics: Sendable {
    /// How a publish ended.
    public enum PublishOutcome: String, Sendable, CaseIterable {
        /// Stored and routed.
        case accepted
        /// A duplicate of a stored event (same source and id); answered, not stored again.
        case duplicate
        /// Refused with a problem (validation, access, size).
        case rejected
        /// Failed in the store.
        case failed
    }

    private let publishCounters: [PublishOutcome: CoreMetrics.Counter]
    /// Events per group commit.
    public let commitBatchSize: CoreMetrics.Recorder
    /// Time from queueing a batch to its fsync.
    public let commitLatency: CoreMetrics.Timer
    /// Events sent to consumers (pull answers and WebSocket frames).
    public let deliveries: CoreMetrics.Counter
    /// Acknowledgements received.
    public let acks: CoreMetrics.Counter
    /// Events sent again after their ack deadline passed.
    public let redeliveries: CoreMetrics.Counter
    /// Events moved to a dead-letter list.
    public let deadLetters: CoreMetrics.Counter
    /// Durable subscriptions that exist.
    public let subscriptions: CoreMetrics.Gauge
    /// The size of the store's memory map, bytes.
    public let storeMapSize: CoreMetrics.Gauge
    /// The bytes of the map in use.
    public let storeUsed: CoreMetrics.Gauge
    /// Seconds the store's writer thread spent applying operations and committing them: its
    /// rate is how busy the one serial stage of every write is (near 1, writes queue).
    public let writerSeconds: (applying: CoreMetrics.FloatingPointCounter, committing: CoreMetrics.FloatingPointCounter)
    /// CPU seconds the writer thread used over the same spans: against `writerSeconds`, how
    /// much of the serial stage is computing rather than waiting for the disk.
    public let writerCPUSeconds: CoreMetrics.FloatingPointCounter
    /// Deduplication merges: the writer moving the entries it holds in memory into the on-disk
    /// index, in one commit every 65,536 new events.
    public let dedupMerges: CoreMetrics.Counter
    /// Seconds the writer spent in those merges, commit included; publishes queued meanwhile
    /// waited. Divided by `dedupMerges`, how long one merge holds the writer.
    public let dedupMergeSeconds: CoreMetrics.FloatingPointCounter
    private let writerRecorded = WriterTimeRecord()

    /// Creates the metrics.
    /// - Parameter factory: the factory to create them with; `nil` uses the bootstrapped `MetricsSystem`.
    public init(factory: (any MetricsFactory)? = nil) {
        func counter(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Counter {
            if let factory { return CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory) }
            return CoreMetrics.Counter(label: label, dimensions: dimensions)
        }
        func gauge(_ label: String) -> CoreMetrics.Gauge {
            if let factory { return CoreMetrics.Gauge(label: label, factory: factory) }
            return CoreMetrics.Gauge(label: label)
        }
        var publishCounters: [PublishOutcome: CoreMetrics.Counter] = [:]
        for outcome in PublishOutcome.allCases {
            publishCounters[outcome] = counter("exchange_publishes_total", [("outcome", outcome.rawValue)])
        }
        self.publishCounters = publishCounters
        if let factory {
            commitBatchSize = CoreMetrics.Recorder(label: "exchange_commit_batch_size", factory: factory)
            commitLatency = CoreMetrics.Timer(label: "exchange_commit_duration_seconds", factory: factory)
        } else {
            commitBatchSize = CoreMetrics.Recorder(label: "exchange_commit_batch_size")
            commitLatency = CoreMetrics.Timer(label: "exchange_commit_duration_seconds")
        }
        deliveries = counter("exchange_deliveries_total")
        acks = counter("exchange_acks_total")
        redeliveries = counter("exchange_redeliveries_total")
        deadLetters = counter("exchange_dead_letters_total")
        subscriptions = gauge("exchange_subscriptions")
        storeMapSize = gauge("exchange_store_map_size_bytes")
        storeUsed = gauge("exchange_store_used_bytes")
        func seconds(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.FloatingPointCounter {
            if let factory { return CoreMetrics.FloatingPointCounter(label: label, dimensions: dimensions, factory: factory) }
            return CoreMetrics.FloatingPointCounter(label: label, dimensions: dimensions)
        }
        writerSeconds = (
            seconds("exchange_writer_seconds_total", [("phase", "applying")]),
            seconds("exchange_writer_seconds_total", [("phase", "committing")])
        )
        writerCPUSeconds = seconds("exchange_writer_cpu_seconds_total")
        dedupMerges = counter("exchange_dedup_merges_total")
        dedupMergeSeconds = seconds("exchange_dedup_merge_seconds_total")
    }

    /// Sets the store gauges from the store's statistics.
    /// - Parameter statistics: `ExchangeStore.statistics()`.
    public func record(_ statistics: StoreStatistics) {
        storeMapSize.record(Int64(clamping: statistics.mapSize))
        storeUsed.record(Int64(clamping: statistics.usedBytes))
        let increment = writerRecorded.advance(
            to: WriterTimeRecord.Totals(
                applying: statistics.writerApplyingNanoseconds, committing: statistics.writerCommittingNanoseconds,
                cpu: statistics.writerCPUNanoseconds, merges: statistics.dedupMerges,
                merging: statistics.dedupMergeNanoseconds))
        writerSeconds.applying.increment(by: Double(increment.applying) / 1e9)
        writerSeconds.committing.increment(by: Double(increment.committing) / 1e9)
        writerCPUSeconds.increment(by: Double(increment.cpu) / 1e9)
        dedupMerges.increment(by: Int64(clamping: increment.merges))
        dedupMergeSeconds.increment(by: Double(increment.merging) / 1e9)
    }

    /// The publish counter of one outcome.
    public func publishes(_ outcome: PublishOutcome) -> CoreMetrics.Counter {
        publishCounters[outcome]!
    }

    /// A Prometheus factory over `registry` with the exchange's histogram buckets: batch sizes
    /// 1 to 4096, commit latencies 100 µs to 5 s.
    /// - Parameter registry: the registry `/metrics` serves.
    public static func makePrometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["exchange_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
        factory.durationHistogramBuckets["exchange_commit_duration_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        return factory
    }
}

/// The writer times already added to the counters, so that each record adds only what passed
/// since (the store reports totals, counters take increments).
final class WriterTimeRecord: Sendable {
    /// The writer's totals: wall time applying and committing, and CPU time, in nanoseconds;
    /// deduplication merges, and the nanoseconds they held the writer.
    struct Totals: Equatable {
        var applying: UInt64
        var committing: UInt64
        var cpu: UInt64
        var merges: UInt64 = 0
        var merging: UInt64 = 0
    }

    private let recorded = Mutex(Totals(applying: 0, committing: 0, cpu: 0))

    /// The increments from the last recorded totals to `totals`; a total that went backwards (a
    /// store opened anew) counts from zero.
    func advance(to totals: Totals) -> Totals {
        recorded.withLock { last in
            func increment(_ now: UInt64, _ before: UInt64) -> UInt64 { now >= before ? now - before : now }
            let result = Totals(
                applying: increment(totals.applying, last.applying), committing: increment(totals.committing, last.committing),
                cpu: increment(totals.cpu, last.cpu), merges: increment(totals.merges, last.merges),
                merging: increment(totals.merging, last.merging))
            last = totals
            return result
        }
    }
}
