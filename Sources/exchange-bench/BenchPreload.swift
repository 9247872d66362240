import ExchangeModel
import ExchangeStore
import Foundation
import Logging

/// Fills a started daemon's store before it starts: `count` events on the bench topic, written
/// straight into `data/` through the store's batch append (1,000 events per call, 8 concurrent
/// writers). Each is the transaction a publish of a bench event makes (log, topic index, inbox
/// entry for the consumer by the bench agreement, deduplication, `published` audit entry with
/// its Merkle nodes), without HTTP, so a million events take seconds rather than minutes.
///
/// The events' ids (`preload-N`) never collide with a run's (`<run tag>-N`), and a
/// subscription created afterwards with `start: new` never sees them; they make the store, its
/// deduplication index and the log an auditor replays as large as a long-running exchange's.
enum BenchPreload {
    /// What the load took and wrote.
    struct Outcome: Sendable {
        var seconds: Double
        /// This process's I/O counters around the load; nil where unreadable.
        var io: (before: ProcessIO?, after: ProcessIO?)
    }

    /// Appends `count` events with `size` bytes of data into `directory/data`.
    static func load(into directory: URL, count: Int, size: Int) async throws -> Outcome {
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.appendingPathComponent("data").path, initialMapSize: 4 << 30), logger: logger)
        let route = StoredRoute(consumer: BenchConfiguration.consumer, agreement: BenchConfiguration.loadAgreement, agreementVersion: 1)
        let head = #"{"k":""#
        let middle = #"","t":"00000000000000000000","pad":""#
        let tail = #""}"#
        let padding = max(0, size - head.utf8.count - BenchEvent.indexWidth - middle.utf8.count - tail.utf8.count)
        let pad = String(repeating: "x", count: padding)
        let before = ProcessIO.current()
        let start = monotonicNanoseconds()
        do {
            try await ChunkedAppend.run(count: count, into: store) { index in
                let key = String(format: "%016d", index)
                return AppendRequest(
                    envelope: Envelope(
                        id: "preload-\(index)", source: BenchConfiguration.publisher, type: "bench.event",
                        topic: BenchDaemon.topic, subject: key, data: Array((head + key + middle + pad + tail).utf8)),
                    routes: [route])
            }
        } catch {
            store.close()
            throw error
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let after = ProcessIO.current()
        store.close()
        return Outcome(seconds: seconds, io: (before, after))
    }
}
