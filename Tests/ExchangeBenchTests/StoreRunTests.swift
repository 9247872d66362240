import Foundation
import Testing

@testable import exchange_bench

/// The `store` mode's report: its JSON keys and text, with and without `/proc/self/io`.
@Suite struct StoreRunTests {
    static func run(io: (before: ProcessIO?, after: ProcessIO?)) -> StoreRun {
        StoreRun(
            count: 1000, concurrency: 4, pipeline: 1, size: 1024, topics: 8, routes: 2, appendSeconds: 0.5,
            latency: LatencySummary(nanoseconds: (1...1000).map { UInt64($0) * 10_000 }), slowestAtSeconds: 0.25,
            commits: 250, committedOperations: 1000,
            reads: (
                StoreRun.ReadPass(events: 1000, bytes: 1_200_000, seconds: 0.01),
                StoreRun.ReadPass(events: 1000, bytes: 1_200_000, seconds: 0.005)),
            usedBytes: 8 << 20, writerApplyingNanoseconds: 1, writerCommittingNanoseconds: 2, writerCPUNanoseconds: 3,
            dedupMerges: 1, dedupMergeNanoseconds: 40_000_000, io: io)
    }

    static let before = ProcessIO(readCharacters: 0, writtenCharacters: 10_000, readBytes: 0, writeBytes: 0, cancelledWriteBytes: 0)
    static let after = ProcessIO(readCharacters: 0, writtenCharacters: 3_510_000, readBytes: 0, writeBytes: 4_096_000, cancelledWriteBytes: 0)

    @Test func theJSONHasTheTailAndTheWriteVolume() throws {
        let object = Self.run(io: (Self.before, Self.after)).dictionary
        for key in ["p50_ms", "p99_ms", "p999_ms", "max_ms", "max_at_s", "store_bytes_per_event", "disk_bytes_per_event", "dedup_merges", "dedup_merge_s"] {
            #expect(object[key] != nil, "\(key)")
        }
        #expect(object["p999_ms"] as? Double == 9.99)
        #expect(object["max_ms"] as? Double == 10.0)
        #expect(object["max_at_s"] as? Double == 0.25)
        #expect(object["store_bytes_per_event"] as? Double == 3500)
        #expect(object["disk_bytes_per_event"] as? Double == 4096)
        #expect(object["dedup_merge_s"] as? Double == 0.04)
        _ = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    @Test func withoutProcIOTheVolumeIsNullAndTheTextSaysSo() throws {
        let run = Self.run(io: (nil, Self.after))
        #expect(run.dictionary["store_bytes_per_event"] is NSNull)
        #expect(run.dictionary["disk_bytes_per_event"] is NSNull)
        #expect(run.lines.contains("append writes: n/a (/proc/self/io cannot be read)"))
        let json = String(decoding: try JSONSerialization.data(withJSONObject: run.dictionary, options: [.sortedKeys]), as: UTF8.self)
        #expect(json.contains(#""store_bytes_per_event":null"#))
    }

    @Test func theTextNamesTheSlowestAppendAndTheVolume() {
        let lines = Self.run(io: (Self.before, Self.after)).lines
        #expect(lines.contains("append latency: p50 5.000 ms, p99 9.900 ms, p99.9 9.990 ms, max 10.000 ms (the slowest started 0.250 s in)"))
        #expect(lines.contains("append writes: 3500 store bytes/event (wchar), 4096 disk bytes/event (write_bytes)"))
    }
}
