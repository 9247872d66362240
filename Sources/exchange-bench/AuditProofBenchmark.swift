import ArgumentParser
import ExchangeAudit
import ExchangeModel
import ExchangeStore
import Foundation
import Logging

/// `exchange-bench audit-proof`: builds a large audit log through the store, then times
/// inclusion and consistency proofs served from its stored Merkle nodes.
struct AuditProofBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-proof",
        abstract: "Build a large audit log through the store, then time inclusion proofs in it.",
        discussion: """
            Entries are appended with ExchangeStore.appendAudit in batches (each batch one group \
            commit, with its Merkle nodes), from a few concurrent writers. Then --proofs inclusion \
            proofs of random entries in the tree of the whole log are read and verified against the \
            root, and the same number of consistency proofs from random sizes; each proof is timed \
            from the request to the verified answer.
            """)

    @Option(help: "Audit entries in the log.")
    var entries = 10_000_000

    @Option(help: "Entries per appendAudit call.")
    var batch = 20_000

    @Option(help: "Concurrent appendAudit callers.")
    var concurrency = 4

    @Option(help: "Proofs to time (of each kind).")
    var proofs = 20_000

    @Option(help: "sha256 or sm3.")
    var hash = "sha256"

    @Option(help: "Data directory (default: a new temporary directory, removed afterwards). An existing log is reused.")
    var directory: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        guard entries > 0, batch > 0, concurrency > 0, proofs > 0 else { throw ValidationError("counts must be positive") }
        guard let algorithm = HashAlgorithm(rawValue: hash) else { throw ValidationError("--hash: sha256 or sm3") }
        let path = directory ?? (NSTemporaryDirectory() + "exchange-bench-audit-" + UUID().uuidString)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: path) } }
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(
                directory: path, initialMapSize: 4 << 30, maxMapSize: 64 << 30, maxBatchOperations: 8, auditHash: algorithm),
            logger: logger)
        defer { store.close() }

        let missing = max(0, entries - Int(store.auditCount))
        if !json { print("appending \(missing) audit entries (\(store.auditCount) already stored) in batches of \(batch)...") }
        let ioBefore = ProcessIO.current()
        let started = monotonicNanoseconds()
        let batches = (missing + batch - 1) / batch
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<concurrency {
                group.addTask {
                    for number in stride(from: writer, to: batches, by: concurrency) {
                        let size = min(batch, missing - number * batch)
                        let events = (0..<size).map { offset in
                            AuditEvent(
                                kind: .acknowledged, actor: "tax-bureau",
                                fields: ["subscription": "licences", "sequence": .integer(Int64(clamping: number * batch + offset + 1))])
                        }
                        _ = try await store.appendAudit(events)
                    }
                }
            }
            try await group.waitForAll()
        }
        let buildSeconds = Double(monotonicNanoseconds() - started) / 1e9
        // The build's write volume per entry appended: wchar (what LMDB handed the kernel) and
        // write_bytes (what reached the disk) of this process; nil where /proc cannot be read.
        let volume = ioBefore.flatMap { ProcessIO.current()?.perEvent(since: $0, events: missing) }
        let size = store.auditCount
        let root = try store.auditRoot(treeSize: size)
        let tree = store.auditTree
        if !json { print("log of \(size) entries built in \(String(format: "%.1f", buildSeconds)) s; timing \(proofs) proofs...") }

        var generator = SystemRandomNumberGenerator()
        var inclusion: [UInt64] = []
        inclusion.reserveCapacity(proofs)
        for _ in 0..<proofs {
            let index = UInt64.random(in: 0..<size, using: &generator)
            let begin = monotonicNanoseconds()
            let record = try store.auditEntryRecords(from: index, limit: 1)[0]
            let proof = try store.auditInclusionProof(index: index, treeSize: size)
            try tree.verifyInclusion(leafHash: tree.leafHash(record.entry), leafIndex: index, treeSize: size, proof: proof, root: root)
            inclusion.append(monotonicNanoseconds() - begin)
        }
        var consistency: [UInt64] = []
        consistency.reserveCapacity(proofs)
        for _ in 0..<proofs {
            let first = UInt64.random(in: 1..<size, using: &generator)
            let begin = monotonicNanoseconds()
            let proof = try store.auditConsistencyProof(first: first, second: size)
            let oldRoot = try store.auditRoot(treeSize: first)
            try tree.verifyConsistency(oldSize: first, newSize: size, oldRoot: oldRoot, newRoot: root, proof: proof)
            consistency.append(monotonicNanoseconds() - begin)
        }
        let inclusionSummary = LatencySummary(nanoseconds: inclusion)
        let consistencySummary = LatencySummary(nanoseconds: consistency)
        let usedBytes = store.statistics().usedBytes
        if json {
            let object: [String: Any] = [
                "mode": "audit-proof", "entries": size, "hash": algorithm.rawValue, "build_seconds": buildSeconds,
                "build_entries_per_second": Double(missing) / max(buildSeconds, 1e-9), "store_used_bytes": usedBytes,
                "proofs": proofs,
                "store_bytes_per_entry": EndToEndReport.orNull(volume.map { EndToEndReport.round($0.store, places: 10) }),
                "disk_bytes_per_entry": EndToEndReport.orNull(volume.map { EndToEndReport.round($0.disk, places: 10) }),
                "inclusion_ms": ["p50": inclusionSummary.p50, "p99": inclusionSummary.p99, "p999": inclusionSummary.p999, "max": inclusionSummary.max],
                "consistency_ms": [
                    "p50": consistencySummary.p50, "p99": consistencySummary.p99, "p999": consistencySummary.p999, "max": consistencySummary.max,
                ],
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "built: %.0f entries/s, store %.1f MiB", Double(missing) / max(buildSeconds, 1e-9), Double(usedBytes) / 1_048_576))
            if let volume {
                print(String(format: "build writes: %.0f store bytes/entry (wchar), %.0f disk bytes/entry (write_bytes)", volume.store, volume.disk))
            } else {
                print("build writes: n/a")
            }
            print(String(format: "inclusion proof (read entry + proof + verify): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                inclusionSummary.p50, inclusionSummary.p99, inclusionSummary.max))
            print(String(format: "consistency proof (proof + old root + verify): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                consistencySummary.p50, consistencySummary.p99, consistencySummary.max))
        }
    }
}
