import Foundation
import Testing

@testable import exchange_bench

/// The I/O counters read from `/proc/PID/io` and the write volume per event made of them.
@Suite struct ProcessIOTests {
    static let sample = """
        rchar: 323934931
        wchar: 323929600
        syscr: 632687
        syscw: 632675
        read_bytes: 0
        write_bytes: 323932160
        cancelled_write_bytes: 4096

        """

    @Test func everyCounterIsRead() throws {
        let io = try #require(ProcessIO.parse(Self.sample))
        #expect(
            io
                == ProcessIO(
                    readCharacters: 323_934_931, writtenCharacters: 323_929_600, readBytes: 0, writeBytes: 323_932_160,
                    cancelledWriteBytes: 4096))
    }

    @Test func aTextWithoutTheWriteCountersGivesNothing() {
        #expect(ProcessIO.parse("rchar: 1\nsyscr: 2\n") == nil)
        #expect(ProcessIO.parse("") == nil)
        #expect(ProcessIO.parse("wchar: many\nwrite_bytes: 1\n") == nil)
    }

    @Test func aProcessThatCannotBeReadGivesNothing() {
        #expect(ProcessIO.read(pid: -1) == nil)
        #expect(ProcessIO.read(pid: Int32.max) == nil)
    }

    @Test func theVolumeIsTheGrowthOverTheEvents() throws {
        let before = ProcessIO(readCharacters: 0, writtenCharacters: 1000, readBytes: 0, writeBytes: 4096, cancelledWriteBytes: 0)
        let after = ProcessIO(readCharacters: 0, writtenCharacters: 6000, readBytes: 0, writeBytes: 45_056, cancelledWriteBytes: 0)
        let volume = try #require(after.perEvent(since: before, events: 4))
        #expect(volume.store == 1250)
        #expect(volume.disk == 10_240)
        #expect(after.perEvent(since: before, events: 0) == nil)
        // A counter that went back (another process with the same id) counts as nothing written.
        let backwards = try #require(before.perEvent(since: after, events: 4))
        #expect(backwards.store == 0 && backwards.disk == 0)
    }

    @Test func aDaemonReportsDiskBytesAndNoStoreBytes() {
        let before = ProcessIO(readCharacters: 0, writtenCharacters: 0, readBytes: 0, writeBytes: 0, cancelledWriteBytes: 0)
        let after = ProcessIO(readCharacters: 0, writtenCharacters: 999_999, readBytes: 0, writeBytes: 30_000, cancelledWriteBytes: 0)
        var report = EndToEndReport()
        report.addDaemonWriteVolume(from: before, to: after, events: 10, prefix: "quiet_")
        let fields = Dictionary(report.fields, uniquingKeysWith: { _, last in last })
        #expect(fields["quiet_store_bytes_per_event"] is NSNull)
        #expect(fields["quiet_disk_bytes_per_event"] as? Double == 3000)
    }

    @Test func unreadableCountersAreNullNotMissing() throws {
        var report = EndToEndReport()
        report.addDaemonWriteVolume(from: nil, to: nil, events: 10)
        report.addOwnWriteVolume(from: nil, to: nil, events: 10, prefix: "load_")
        let fields = Dictionary(report.fields, uniquingKeysWith: { _, last in last })
        for key in ["store_bytes_per_event", "disk_bytes_per_event", "load_store_bytes_per_event", "load_disk_bytes_per_event"] {
            #expect(fields[key] is NSNull, "\(key)")
        }
        let json = try JSONSerialization.data(withJSONObject: Dictionary(report.fields, uniquingKeysWith: { _, last in last }), options: [.sortedKeys])
        #expect(String(decoding: json, as: UTF8.self).contains(#""disk_bytes_per_event":null"#))
    }
}
