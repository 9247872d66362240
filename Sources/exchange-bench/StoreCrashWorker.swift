import ArgumentParser
import ExchangeModel
import ExchangeStore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `exchange-bench store-crash-worker`: appends batches forever and prints one line per
/// acknowledged event, for crash tests that kill it with SIGKILL at a random moment.
///
/// Each line is `ack <sequence> <message id>`, written with one `write(2)` after the batch's
/// commit returned. Every event carries the extensions `batch` (a tag) and `batchsize`; payloads
/// are derived from the message id by `CrashWorkload.payload(for:)`.
struct StoreCrashWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-crash-worker",
        abstract: "Append batches until killed, printing each acknowledged event (for crash tests).",
        shouldDisplay: false)

    @Option(help: "Data directory.")
    var directory: String

    @Option(help: "A tag that makes this run's message ids unique.")
    var round: Int

    @Option(help: "Concurrent publishers.")
    var publishers = 8

    @Option(help: "Events per atomic batch.")
    var batch = 4

    @Option(help: "Stop after this many batches per publisher.")
    var limit = 100_000

    @Option(help: "Recent deduplication entries held before a merge to disk.")
    var dedupMergeThreshold = 65_536

    func run() async throws {
        var logger = Logger(label: "exchange.crash-worker")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(
                directory: directory, initialMapSize: 1 << 20, maxMapSize: 1 << 30, dedupMergeThreshold: dedupMergeThreshold),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<publishers {
                group.addTask {
                    for number in 0..<limit {
                        let tag = "\(round)-\(publisher)-\(number)"
                        let requests = (0..<batch).map { index in
                            let id = "\(tag)-\(index)"
                            return AppendRequest(
                                envelope: Envelope(
                                    id: id, source: "dept-\(publisher % 3)", type: "crash.test",
                                    topic: "crash.topic\(publisher % 4)",
                                    extensions: ["batch": tag, "batchsize": String(batch)],
                                    data: CrashWorkload.payload(for: id)),
                                routes: [StoredRoute(consumer: "consumer-\(index % 2)", agreement: "agr", agreementVersion: 1)])
                        }
                        let results = try await store.append(contentsOf: requests)
                        var lines = ""
                        for (request, result) in zip(requests, results) {
                            lines += "ack \(result.sequence) \(request.envelope.id)\n"
                        }
                        lines.withCString { pointer in _ = Glibc.write(1, pointer, strlen(pointer)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        store.close()
    }
}

/// The deterministic payloads of the crash workload.
enum CrashWorkload {
    /// A payload of 100 to 4,195 bytes derived from `id`, so a reader can check it byte for byte.
    static func payload(for id: String) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let length = 100 + Int(hash % 4096)
        let seed = Array(id.utf8)
        return (0..<length).map { seed[$0 % seed.count] &+ UInt8(truncatingIfNeeded: $0 / seed.count) }
    }
}
