import ExchangeStore
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// Pipelined publishing and push delivery over WebSocket against the real daemon.
@Suite("websocket end to end", .serialized)
struct WebSocketEndToEndTests {
    @Test(.timeLimit(.minutes(3)))
    func pipelinedPublishAndCreditedPushDelivery() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-push", ["filter": "licence.>", "start": "all"]).status == 201)
            let count = 200
            let replies = Shared<[String]>([])
            try await daemon.within(60, { "\(replies.withLock { $0.count }) of \(count + 3) publish answers arrived" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/publish", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("msa"), logger: Logger(label: "ws-publish")
                ) { inbound, outbound, _ in
                    // Everything in flight at once, answers as commits complete.
                    for index in 0..<count {
                        let event = #"{"specversion":"1.0","id":"W-\#(index)","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"W-\#(index)"}}"#
                        try await outbound.write(.text(event))
                    }
                    try await outbound.write(.text(#"{"specversion":"1.0","id":"bad","type":"t","topic":"case.outcome.closed","data":{}}"#))
                    // A frame far larger than a WebSocket library's 16 KiB default is one event too.
                    let note = String(repeating: "n", count: 40_000)
                    try await outbound.write(.text(#"{"specversion":"1.0","id":"BIG","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"BIG","note":"\#(note)"}}"#))
                    // A batch frame: stored whole, answered by one line with a result per event.
                    let batch = (0..<3).map { #"{"specversion":"1.0","id":"B-\#($0)","type":"licence.issued","topic":"licence.business.issued","data":{"licence_no":"B-\#($0)"}}"# }
                    try await outbound.write(.text("[" + batch.joined(separator: ",") + "]"))
                    // An answer frame carries one or more answers, a line each.
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        let total = replies.withLock { list in
                            list.append(contentsOf: text.split(separator: "\n").map(String.init))
                            return list.count
                        }
                        if total >= count + 3 { break }
                    }
                }
            }
            let all = replies.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(all.count == count + 3)
            let accepted = all.filter { $0["sequence"] != nil }
            let batchAnswer = all.first { $0["results"] != nil }
            #expect(batchAnswer?["index"] as? Int == count + 2)
            #expect(all.contains { $0["id"] as? String == "BIG" && $0["index"] as? Int == count + 1 && $0["sequence"] != nil })
            let batchResults = batchAnswer?["results"] as? [[String: Any]] ?? []
            #expect(batchResults.compactMap { $0["id"] as? String } == ["B-0", "B-1", "B-2"])
            #expect(Set(accepted.compactMap { $0["sequence"] as? Int } + batchResults.compactMap { $0["sequence"] as? Int }) == Set(1...count + 4))
            #expect(Set(accepted.compactMap { $0["id"] as? String }).count == count + 1)
            let refused = all.filter { $0["error"] != nil }
            #expect(refused.count == 1)
            #expect((refused.first?["error"] as? [String: Any])?["code"] as? String == "access.not_topic_owner")
            #expect(refused.first?["index"] as? Int == count)

            // Push with credit: 50 at a time, acknowledging each batch.
            let published = count + 4
            let received = Shared<[Int]>([])
            try await daemon.within(60, { "\(received.withLock { $0.count }) of \(published) events were pushed" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/subscriptions/tax-push/stream", configuration: .init(maxFrameSize: 1 << 20, sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("tax"), logger: Logger(label: "ws-stream")
                ) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"credit":50}"#))
                    var batch: [Int] = []
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                            let sequence = (object["sequence"] as? String).flatMap(Int.init)
                        else { continue }
                        #expect(object["agreement"] as? String == "msa-tax")
                        batch.append(sequence)
                        let total = received.withLock { list in
                            list.append(sequence)
                            return list.count
                        }
                        if batch.count == 50 || total == published {
                            try await outbound.write(.text(#"{"ack":\#(batch),"credit":50}"#))
                            batch.removeAll()
                        }
                        if total == published { break }
                    }
                }
            }
            #expect(received.withLock { $0 } == Array(1...published))
            // Everything was acknowledged on the stream: nothing is pending.
            let info = try await daemon.request("tax", .GET, "/v1/subscriptions/tax-push")
            #expect(info.object["pending"] as? Int == 0, "\(info.text)")
            #expect(info.object["position"] as? Int == published + 1)
            // A bearer-token caller (the auditor, no certificate) may not publish: 403 before any
            // upgrade, and the refusal is in the audit log.
            let refusal = try await Self.upgradeAsAuditor(daemon, "/v1/publish")
            #expect(refusal.hasPrefix("HTTP/1.1 403") && refusal.contains("auth.forbidden"), "\(refusal)")
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
            let store = try ExchangeStore(configuration: StoreConfiguration(directory: daemon.directory + "/data", initialMapSize: 16 << 20))
            defer { store.close() }
            let denials = try store.auditEntries(from: 0, limit: .max).compactMap { entry -> [String: Any]? in
                let object = try? JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any]
                return object?["kind"] as? String == "access_denied" ? object : nil
            }
            #expect(denials.contains { $0["path"] as? String == "/v1/publish" && $0["actor"] as? String == "auditor-1" && $0["status"] as? Int == 403 })
        }
    }

    /// A caller that is not a department (a bearer token) is answered 403 problem+json before
    /// any upgrade, on both streams: it holds no stream open, so token holders cannot fill the
    /// connection slots with refused streams; the daemon goes on serving and stops at once.
    @Test(.timeLimit(.minutes(3)))
    func aCallerThatIsNotADepartmentIsAnswered403BeforeAnyUpgrade() async throws {
        let daemon = try DaemonHarness(server: ["max_connections": "8"])
        try await daemon.use {
            try await daemon.start()
            #expect(try await daemon.json("tax", .PUT, "/v1/subscriptions/tax-push", ["filter": "licence.>", "start": "all"]).status == 201)
            // More refusals in a row than the daemon has connection slots, each read whole.
            for attempt in 0..<40 {
                let path = attempt % 2 == 0 ? "/v1/publish" : "/v1/subscriptions/tax-push/stream"
                let answer = try await Self.upgradeAsAuditor(daemon, path)
                #expect(answer.hasPrefix("HTTP/1.1 403"), "attempt \(attempt) (\(path)): \(answer)")
                #expect(answer.contains("application/problem+json") && answer.contains("auth.forbidden"), "attempt \(attempt): \(answer)")
                #expect(!answer.contains("101 Switching Protocols"), "attempt \(attempt)")
            }
            // Departments are still served, streams included.
            #expect(try await daemon.request("tax", .GET, "/v1/subscriptions/tax-push").status == 200)
            let stream = try await RawConnection.open(port: daemon.port, tls: try daemon.tls("msa"))
            try await stream.send(
                "GET /v1/publish HTTP/1.1\r\nHost: exchange\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            #expect(await stream.waitFor("101 Switching Protocols", seconds: 10), "\(stream.text)")
            stream.close()
            let stopping = ContinuousClock.now
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
            #expect(ContinuousClock.now - stopping < .seconds(8))
        }
    }

    /// Asks, as the auditor (a bearer token, no certificate), to upgrade `path` to a WebSocket
    /// on a raw TLS connection, and returns what the daemon answered until it closed the
    /// connection or sent a whole problem document (at most 10 s).
    static func upgradeAsAuditor(_ daemon: DaemonHarness, _ path: String) async throws -> String {
        let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(nil))
        defer { connection.close() }
        try await connection.send(
            "GET \(path) HTTP/1.1\r\nHost: exchange\r\nAuthorization: Bearer \(daemon.auditorToken)\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        _ = await connection.waitFor("}", seconds: 10)
        return connection.text
    }
}
