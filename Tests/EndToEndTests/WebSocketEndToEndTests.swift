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
            // A bearer-token caller (the auditor, no certificate) may not publish: one error frame,
            // and the refusal is in the audit log.
            let refusal = Shared<[String]>([])
            try await daemon.within(60, { "the refused publisher got no error frame" }) {
                try await Self.openAsAuditor(daemon, "/v1/publish", into: refusal, untilClosed: false)
            }
            #expect(refusal.withLock { $0 }.first?.contains("auth.forbidden") == true, "\(refusal.withLock { $0 })")
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

    /// Every refused stream gets its error frame, however the close that follows it races the
    /// client's upgrade; a refused client that never closes is closed by the daemon.
    @Test(.timeLimit(.minutes(3)))
    func refusedStreamsGetTheirErrorFrameAndAreClosed() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            let paths = ["/v1/publish", "/v1/subscriptions/tax-push/stream"]
            for attempt in 0..<100 {
                let path = paths[attempt % 2]
                let frames = Shared<[String]>([])
                // 40 s: the client's close handshake alone may wait 15 s (its close timeout), and
                // under a whole suite's load one attempt took over 20 s in all.
                try await daemon.within(40, { "refused stream \(attempt) (\(path)) did not end; frames: \(frames.withLock { $0 })" }) {
                    try await Self.openAsAuditor(daemon, path, into: frames, untilClosed: false)
                }
                #expect(frames.withLock { $0 }.first?.contains("auth.forbidden") == true, "attempt \(attempt): \(frames.withLock { $0 })")
            }
            // A client that reads the refusal and stays: the daemon closes the stream after its
            // linger (10 s), so a refused connection costs bounded time.
            let frames = Shared<[String]>([])
            let started = ContinuousClock.now
            try await daemon.within(40, { "the daemon kept a refused stream open" }) {
                try await Self.openAsAuditor(daemon, "/v1/publish", into: frames, untilClosed: true)
            }
            #expect(frames.withLock { $0.count } == 1)
            #expect(ContinuousClock.now - started >= .seconds(9), "the refused stream closed before its client could read the refusal at leisure")
            // Shutdown does not wait out a refused stream's linger.
            let lingering = Shared<[String]>([])
            let client = Task { try await Self.openAsAuditor(daemon, "/v1/publish", into: lingering, untilClosed: true) }
            for _ in 0..<500 where lingering.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(lingering.withLock { $0.count } == 1)
            let stopping = ContinuousClock.now
            #expect(try await daemon.stop() == 0, "the daemon did not exit cleanly on SIGTERM")
            #expect(ContinuousClock.now - stopping < .seconds(8), "shutdown waited for a refused stream's linger")
            _ = try? await client.value
        }
    }

    /// Opens the stream at `path` as the auditor (a bearer token, no certificate), which the
    /// daemon refuses after the upgrade, and collects the text frames it sends: the first only,
    /// or all of them until the stream closes.
    static func openAsAuditor(_ daemon: DaemonHarness, _ path: String, into frames: Shared<[String]>, untilClosed: Bool) async throws {
        let headers: HTTPFields = [.authorization: "Bearer \(daemon.auditorToken)"]
        try await WebSocketClient.connect(
            url: "wss://127.0.0.1:\(daemon.port)\(path)", configuration: .init(additionalHeaders: headers, sniHostname: "localhost"),
            tlsConfiguration: try daemon.tls(nil), logger: Logger(label: "ws-refused")
        ) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { frames.withLock { $0.append(text) } }
                if !untilClosed { break }
            }
        }
    }
}
