import ExchangeIdentity
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// The limits of the hot backup against the real daemon (docs/operations.md, "Backup and
/// restore"): each backup writes a copy as large as the store into the data directory, so one
/// runs at a time, a client that stops reading loses it after `bulk_reads.write_timeout` with
/// its copy removed at once, a request with a body is refused, and a copy left by a process
/// that died is removed when the daemon starts.
@Suite("backup limits end to end", .serialized)
struct BackupLimitsEndToEndTests {
    /// The backup copies in the daemon's data directory.
    static func copies(_ daemon: DaemonHarness) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: daemon.directory + "/data")) ?? []).filter { $0.hasPrefix("backup.tmp-") }
    }

    @Test(.timeLimit(.minutes(5)))
    func oneBackupAtATimeAndAStalledOneIsCutWithItsCopyRemoved() async throws {
        // 10 s: short enough to wait out here, long enough that the whole backup read below
        // is not cut when a whole suite loads the machine (at 5 s it was, once).
        let daemon = try DaemonHarness(sections: "bulk_reads:\n  write_timeout: 10s\n")
        var tokens = try TokenFile.load(path: daemon.directory + "/tokens.json")
        let operatorToken = try tokens.create(name: "backup-operator", role: .operator)
        try tokens.save(path: daemon.directory + "/tokens.json")
        let authorization = [("authorization", "Bearer \(operatorToken)")]
        try await daemon.use {
            try await daemon.start()
            // About 12 MB of events: the copy is far larger than the socket buffers between the
            // daemon and a client that reads nothing, so its later chunks wait for the client.
            try await BulkReadEndToEndTests.publish(daemon, count: 3000, size: 4000)

            // A backup whose client stops reading once the answer's head arrived.
            let stalled = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil), receiveBuffer: 4096, stopReadingAfter: "\r\n\r\n")
            #expect(await stalled.waitForHandshake(seconds: 10))
            try await stalled.send("POST /v1/operation/backup HTTP/1.1\r\nHost: exchange\r\nAuthorization: Bearer \(operatorToken)\r\nContent-Length: 0\r\n\r\n")
            #expect(await stalled.waitFor("200 OK", seconds: 30), "\(stalled.text.prefix(300))")
            let stoppedReading = ContinuousClock.now
            let length = try #require(RawResponse(stalled.text)?.headers["content-length"].flatMap { Int($0) })
            #expect(length > 8 << 20, "the copy is \(length) bytes")
            #expect(Self.copies(daemon).count == 1, "\(Self.copies(daemon))")

            // Meanwhile a second backup is refused, with Retry-After, and writes no copy.
            let second = try await daemon.request(nil, .POST, "/v1/operation/backup", headers: authorization)
            #expect(second.status == 503, "\(second.text.prefix(300))")
            #expect(second.object["code"] as? String == "replay.busy")
            #expect(second.retryAfter == "5")
            #expect(Self.copies(daemon).count == 1, "\(Self.copies(daemon))")

            // The write timeout ends the stalled backup: its copy is removed soon after 10 s.
            var removed: ContinuousClock.Instant?
            for _ in 0..<450 {
                if Self.copies(daemon).isEmpty {
                    removed = .now
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let gone = try #require(removed, "the stalled backup's copy is still there: \(Self.copies(daemon))")
            let after = ConnectionLimitEndToEndTests.seconds(gone - stoppedReading)
            #expect(after > 9.5 && after < 40, "the copy was removed \(after) s after the client stopped reading, not after the 10 s write timeout")
            // ...and the connection was closed: reading again, the client gets what was in the
            // buffers, not the whole copy, then the end of the connection.
            try await stalled.resumeReading()
            _ = try #require(await stalled.waitForClose(seconds: 20), "the stalled backup's connection was never closed")
            let split = try #require(stalled.received.firstRange(of: Array("\r\n\r\n".utf8)))
            #expect(stalled.received.count - split.upperBound < length, "the stalled client had the whole copy: it was never cut")

            // The slot is free again: a backup read whole goes through, and leaves no copy.
            let whole = try await daemon.request(nil, .POST, "/v1/operation/backup", timeout: .seconds(120), headers: authorization)
            #expect(whole.status == 200, "\(whole.text.prefix(300))")
            #expect(whole.body.count > 8 << 20)
            #expect(Self.copies(daemon).isEmpty, "\(Self.copies(daemon))")

            // A backup request with a body is refused before anything is copied.
            let withBody = try await daemon.request(
                nil, .POST, "/v1/operation/backup", contentType: "application/json", body: Array("{}".utf8), headers: authorization)
            #expect(withBody.status == 400, "\(withBody.text.prefix(300))")
            #expect(withBody.object["code"] as? String == "http.bad_request")
            #expect(Self.copies(daemon).isEmpty)

            // A copy left by a process that died is removed when the daemon starts, and logged.
            #expect(try await daemon.stop() == 0)
            let stale = daemon.directory + "/data/backup.tmp-left-by-a-crash"
            try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
            #expect(FileManager.default.createFile(atPath: stale + "/data.mdb", contents: Data(repeating: 1, count: 4096)))
            try await daemon.start()
            #expect(Self.copies(daemon).isEmpty, "\(Self.copies(daemon))")
            #expect(daemon.log.contains { $0.contains("backup copy removed") && $0.contains("backup.tmp-left-by-a-crash") }, "\(daemon.log.suffix(30))")
            #expect(try await daemon.stop() == 0)
        }
    }
}
