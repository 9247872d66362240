public import CoreMetrics
public import ExchangeStore
import Synchronization

/// Every `exchange_*` series of the engine, the store and the writer, declared once, through
/// swift-metrics so that libraries need no backend; the daemon bootstraps `MetricsSystem` with a
/// Prometheus factory that uses ``valueHistogramBuckets`` and ``durationHistogramBuckets``. Each
/// series is described in docs/metrics.md; the listener's connection series are
/// `ConnectionMetrics` in ExchangeServer.
///
/// The engine counts what it does through its own instance; the daemon's instance records each
/// commit and the store's statistics. Instances with the same factory share the series.
///
/// ```swift
/// let metrics = ExchangeMetrics()
/// metrics.published.increment(by: batch.count)
/// metrics.commitLatency.recordNanoseconds(elapsed)
/// ```
public struct ExchangeMetrics: Sendable {
    /// Events stored (`exchange_publishes_total{outcome="accepted"}`).
    public let published: CoreMetrics.Counter
    /// Events answered as duplicates of stored ones (`outcome="duplicate"`).
    public let duplicates: CoreMetrics.Counter
    /// Events the engine refused (`outcome="rejected"`).
    public let rejected: CoreMetrics.Counter
    /// Inbox entries created by stored events.
    public let routes: CoreMetrics.Counter
    /// From the engine receiving a publish to its answer.
    public let publishLatency: CoreMetrics.Timer
    /// Events per group commit.
    public let commitBatchSize: CoreMetrics.Recorder
    /// Time from queueing a batch to its fsync.
    public let commitLatency: CoreMetrics.Timer
    /// Events sent to consumers (pull answers and WebSocket frames).
    public let deliveries: CoreMetrics.Counter
    /// Acknowledgements received.
    public let acks: CoreMetrics.Counter
    /// Events retention removed from the live store.
    public let retentionRemoved: CoreMetrics.Counter
    /// Events retention left in place because their record could not be read.
    public let retentionUnreadable: CoreMetrics.Counter
    /// Events a consumer sent back for redelivery.
    public let naks: CoreMetrics.Counter
    /// Events sent again after their ack deadline passed.
    public let redeliveries: CoreMetrics.Counter
    /// Events moved to a dead-letter list.
    public let deadLetters: CoreMetrics.Counter
    /// Events not delivered because their agreement no longer allows it.
    public let withheld: CoreMetrics.Counter
    /// Events streamed by a replay.
    public let replayed: CoreMetrics.Counter
    /// Durable subscriptions that exist.
    public let subscriptions: CoreMetrics.Gauge
    /// The size of the store's memory map, bytes.
    public let storeMapSize: CoreMetrics.Gauge
    /// The bytes of the map in use.
    public let storeUsed: CoreMetrics.Gauge
    /// `exchange_store_max_map_size_bytes`: how far the map may grow (`store.max_map_size`).
    public let storeMaxMapSize: CoreMetrics.Gauge
    /// `exchange_store_publish_limit_bytes`: the data at which publishes are refused
    /// (`store.max_map_size` less `store.publish_reserve`).
    public let storePublishLimit: CoreMetrics.Gauge
    /// `exchange_store_refusing_publishes`: 1 while the store refuses publishes as full.
    public let storeRefusingPublishes: CoreMetrics.Gauge
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
    /// Batches of subscribers' bookkeeping alone that waited for a publish
    /// (`store.bookkeeping_linger`), by outcome: `rode` (a publish came and they committed in
    /// its transaction) or `alone` (none came; they committed by themselves).
    public let bookkeepingLingers: (rode: CoreMetrics.Counter, alone: CoreMetrics.Counter)
    /// Agreement reloads (SIGHUP or the admin API) that were applied
    /// (`exchange_config_reloads_total{result="applied"}`).
    public let reloadsApplied: CoreMetrics.Counter
    /// Agreement reloads refused as a whole, the set in force kept (`result="failed"`).
    public let reloadsFailed: CoreMetrics.Counter
    /// Bulk reads refused, by reason (`exchange_bulk_reads_refused_total{reason}`).
    public let bulkReadsRefusedByReason: [BulkReadBudget.Refusal: CoreMetrics.Counter]
    /// Bulk reads ended because their client did not take a chunk within
    /// `bulk_reads.write_timeout` (`exchange_bulk_reads_timed_out_total`).
    public let bulkReadsTimedOut: CoreMetrics.Counter
    /// Reads refused because their principal read faster than `audit.read_limit` allows
    /// (`exchange_reads_limited_total`).
    public let readsLimited: CoreMetrics.Counter
    /// Delivery rounds run (`exchange_delivery_rounds_total{outcome="run"}`), and rounds a
    /// subscription stream's pull left out because nothing came since its previous round took
    /// everything (`outcome="skipped"`).
    public let rounds: CoreMetrics.Counter
    /// See ``rounds``.
    public let roundsSkipped: CoreMetrics.Counter
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
        published = counter("exchange_publishes_total", [("outcome", "accepted")])
        duplicates = counter("exchange_publishes_total", [("outcome", "duplicate")])
        rejected = counter("exchange_publishes_total", [("outcome", "rejected")])
        routes = counter("exchange_routes_total")
        if let factory {
            publishLatency = CoreMetrics.Timer(label: "exchange_publish_duration_seconds", factory: factory)
            commitBatchSize = CoreMetrics.Recorder(label: "exchange_commit_batch_size", factory: factory)
            commitLatency = CoreMetrics.Timer(label: "exchange_commit_duration_seconds", factory: factory)
        } else {
            publishLatency = CoreMetrics.Timer(label: "exchange_publish_duration_seconds")
            commitBatchSize = CoreMetrics.Recorder(label: "exchange_commit_batch_size")
            commitLatency = CoreMetrics.Timer(label: "exchange_commit_duration_seconds")
        }
        deliveries = counter("exchange_deliveries_total")
        acks = counter("exchange_acks_total")
        retentionRemoved = counter("exchange_retention_removed_total")
        retentionUnreadable = counter("exchange_retention_unreadable_total")
        naks = counter("exchange_naks_total")
        redeliveries = counter("exchange_redeliveries_total")
        deadLetters = counter("exchange_dead_letters_total")
        withheld = counter("exchange_withheld_total")
        replayed = counter("exchange_replayed_events_total")
        subscriptions = gauge("exchange_subscriptions")
        storeMapSize = gauge("exchange_store_map_size_bytes")
        storeUsed = gauge("exchange_store_used_bytes")
        storeMaxMapSize = gauge("exchange_store_max_map_size_bytes")
        storePublishLimit = gauge("exchange_store_publish_limit_bytes")
        storeRefusingPublishes = gauge("exchange_store_refusing_publishes")
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
        bookkeepingLingers = (
            counter("exchange_writer_lingers_total", [("outcome", "rode")]), counter("exchange_writer_lingers_total", [("outcome", "alone")])
        )
        reloadsApplied = counter("exchange_config_reloads_total", [("result", "applied")])
        reloadsFailed = counter("exchange_config_reloads_total", [("result", "failed")])
        bulkReadsRefusedByReason = Dictionary(
            uniqueKeysWithValues: BulkReadBudget.Refusal.allCases.map { ($0, counter("exchange_bulk_reads_refused_total", [("reason", $0.rawValue)])) })
        bulkReadsTimedOut = counter("exchange_bulk_reads_timed_out_total")
        readsLimited = counter("exchange_reads_limited_total")
        rounds = counter("exchange_delivery_rounds_total", [("outcome", "run")])
        roundsSkipped = counter("exchange_delivery_rounds_total", [("outcome", "skipped")])
    }

    /// The counter of bulk reads refused for `reason`.
    public func bulkReadsRefused(_ reason: BulkReadBudget.Refusal) -> CoreMetrics.Counter {
        bulkReadsRefusedByReason[reason]!
    }

    /// Sets the store gauges from the store's statistics.
    /// - Parameter statistics: `ExchangeStore.statistics()`.
    public func record(_ statistics: StoreStatistics) {
        storeMapSize.record(Int64(clamping: statistics.mapSize))
        storeUsed.record(Int64(clamping: statistics.usedBytes))
        storeMaxMapSize.record(Int64(clamping: statistics.maxMapSize))
        storePublishLimit.record(Int64(clamping: statistics.publishLimit))
        storeRefusingPublishes.record(statistics.isRefusingPublishes ? 1 : 0)
        let increment = writerRecorded.advance(
            to: WriterTimeRecord.Totals(
                applying: statistics.writerApplyingNanoseconds, committing: statistics.writerCommittingNanoseconds,
                cpu: statistics.writerCPUNanoseconds, merges: statistics.dedupMerges,
                merging: statistics.dedupMergeNanoseconds, lingers: statistics.bookkeepingLingers,
                lingerRides: statistics.bookkeepingLingerRides))
        writerSeconds.applying.increment(by: Double(increment.applying) / 1e9)
        writerSeconds.committing.increment(by: Double(increment.committing) / 1e9)
        writerCPUSeconds.increment(by: Double(increment.cpu) / 1e9)
        dedupMerges.increment(by: Int64(clamping: increment.merges))
        dedupMergeSeconds.increment(by: Double(increment.merging) / 1e9)
        bookkeepingLingers.rode.increment(by: Int64(clamping: increment.lingerRides))
        bookkeepingLingers.alone.increment(by: Int64(clamping: increment.lingers - Swift.min(increment.lingers, increment.lingerRides)))
    }

    /// The histogram buckets of the exchange's histograms, by label: batch sizes 1 to 4096,
    /// commit latencies 100 µs to 5 s. A Prometheus factory sets them (ExchangeServer's
    /// `ExchangeMetrics.makePrometheusFactory(registry:)`).
    public static let valueHistogramBuckets: [String: [Double]] = [
        "exchange_commit_batch_size": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    ]

    /// The duration histogram buckets, by label: commit latencies 100 µs to 5 s.
    public static let durationHistogramBuckets: [String: [Duration]] = [
        "exchange_commit_duration_seconds": [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
    ]
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
        var lingers: UInt64 = 0
        var lingerRides: UInt64 = 0
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
                merging: increment(totals.merging, last.merging), lingers: increment(totals.lingers, last.lingers),
                lingerRides: increment(totals.lingerRides, last.lingerRides))
            last = totals
            return result
        }
    }
}
