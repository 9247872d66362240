import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// A repeat of a message id with other content is refused with 409 `publish.id_conflict`
/// naming the original, over HTTP (one event and a batch) and the WebSocket publish stream;
/// the original stays as published, and an exact repeat is still `duplicate: true`.
@Suite("duplicate conflicts end to end", .serialized)
struct DuplicateConflictEndToEndTests {
    static func auditEntries(_ daemon: DaemonHarness) async throws -> [[String: Any]] {
        var request = HTTPClientRequest(url: daemon.baseURL + "/v1/audit/events?start=0")
        request.headers.add(name: "authorization", value: "Bearer \(daemon.auditorToken)")
        let response = try await daemon.client(nil).execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 64 << 20)
        return String(buffer: body).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["entry"] as? [String: Any]
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aConflictingRepeatIsRefusedAndTheOriginalKept() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            // Fixed bytes: the comparison is of the data bytes, as the audited digest is.
            let original = #"{"licence_no":"C-1","holder":{"name":"Acme Ltd","credit_code":"91330001"}}"#
            let changed = #"{"licence_no":"C-1","holder":{"name":"Someone Else Ltd","credit_code":"91330002"}}"#
            func event(_ id: String, _ data: String) -> String {
                #"{"specversion":"1.0","id":"\#(id)","type":"licence.issued","subject":"\#(id)","data":\#(data)}"#
            }
            func publish(_ id: String, _ data: String) async throws -> DaemonHarness.Reply {
                try await daemon.request(
                    "msa", .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents+json",
                    body: Array(event(id, data).utf8))
            }
            let first = try await publish("C-1", original)
            #expect(first.status == 200 && first.object["sequence"] as? Int == 1, "\(first.text)")

            let conflict = try await publish("C-1", changed)
            #expect(conflict.status == 409, "\(conflict.text)")
            #expect(conflict.contentType == "application/problem+json")
            #expect(conflict.object["code"] as? String == "publish.id_conflict")
            #expect(conflict.object["original_sequence"] as? Int == 1)
            #expect((conflict.object["detail"] as? String)?.contains("event 1") == true, "\(conflict.text)")

            let exact = try await publish("C-1", original)
            #expect(exact.status == 200, "\(exact.text)")
            #expect(exact.object["duplicate"] as? Bool == true && exact.object["sequence"] as? Int == 1, "\(exact.text)")

            // A batch holding a conflicting repeat: refused whole, naming the original.
            let batch = "[" + event("C-2", #"{"licence_no":"C-2"}"#) + "," + event("C-1", changed) + "]"
            let batchReply = try await daemon.request(
                "msa", .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents-batch+json",
                body: Array(batch.utf8))
            #expect(batchReply.status == 409, "\(batchReply.text)")
            #expect(batchReply.object["original_sequence"] as? Int == 1)

            // The WebSocket publish stream answers the frame with the problem.
            let frames = Shared<[String]>([])
            try await daemon.within(30, { "publish stream answers: \(frames.withLock { $0 })" }) {
                try await WebSocketClient.connect(
                    url: "wss://127.0.0.1:\(daemon.port)/v1/publish", configuration: .init(sniHostname: "localhost"),
                    tlsConfiguration: try daemon.tls("msa"), logger: Logger(label: "ws-publish")
                ) { inbound, outbound, _ in
                    try await outbound.write(
                        .text(#"{"specversion":"1.0","id":"C-1","type":"licence.issued","topic":"licence.business.issued","subject":"C-1","data":{"licence_no":"C-1","note":"other"}}"#))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        frames.withLock { $0.append(text) }
                        break
                    }
                }
            }
            let answer = try #require(frames.withLock { $0.first }.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let error = answer["error"] as? [String: Any]
            #expect(error?["code"] as? String == "publish.id_conflict" && error?["original_sequence"] as? Int == 1, "\(answer)")

            // Nothing else was stored; the original reads back as first published.
            let replay = try await daemon.request("tax", .GET, "/v1/replay")
            let events = replay.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(events.count == 1, "\(replay.text)")
            let holder = (events.first?["data"] as? [String: Any])?["holder"] as? [String: Any]
            #expect(holder?["name"] as? String == "Acme Ltd")

            // Each refusal is audited once as rejected, naming the original.
            let rejected = try await Self.auditEntries(daemon).filter { $0["kind"] as? String == "rejected" && $0["reason"] as? String == "publish.id_conflict" }
            #expect(rejected.count == 3, "\(rejected)")
            #expect(rejected.allSatisfy { $0["original_sequence"] as? Int == 1 && $0["actor"] as? String == "msa" })
            #expect(try await daemon.stop() == 0)
        }
    }

    /// The finding's steps over HTTP: a batch repeating an id with another subject is refused
    /// naming no sequence (the sequence its first event took in the aborted transaction goes to
    /// the next event), its audit entry names none, and the id is then published as new.
    @Test(.timeLimit(.minutes(3)))
    func aConflictInsideOneBatchNamesNoSequenceLaterGivenToAnotherEvent() async throws {
        let daemon = try DaemonHarness()
        try await daemon.use {
            try await daemon.start()
            func event(_ id: String, _ subject: String) -> String {
                #"{"specversion":"1.0","id":"\#(id)","type":"licence.issued","subject":"\#(subject)","data":{"licence_no":"\#(subject)"}}"#
            }
            func batch(_ events: [String]) async throws -> DaemonHarness.Reply {
                try await daemon.request(
                    "msa", .POST, "/v1/topics/licence.business.issued/events", contentType: "application/cloudevents-batch+json",
                    body: Array(("[" + events.joined(separator: ",") + "]").utf8))
            }
            let refused = try await batch([event("dupC", "S1"), event("dupC", "S2")])
            #expect(refused.status == 409 && refused.object["code"] as? String == "publish.id_conflict", "\(refused.text)")
            #expect(refused.object["original_sequence"] == nil, "\(refused.text)")
            #expect((refused.object["detail"] as? String)?.contains("events 0 and 1 of the batch") == true, "\(refused.text)")

            let other = try await batch([event("other1", "S3")])
            #expect(other.status == 200, "\(other.text)")
            let again = try await batch([event("dupC", "S1")])
            #expect(again.status == 200, "\(again.text)")
            #expect(again.text.contains(#""duplicate":false"#), "\(again.text)")

            let rejected = try await Self.auditEntries(daemon).filter { $0["kind"] as? String == "rejected" && $0["message_id"] as? String == "dupC" }
            #expect(rejected.count == 1, "\(rejected)")
            #expect(rejected.allSatisfy { $0["original_sequence"] == nil && $0["reason"] as? String == "publish.id_conflict" }, "\(rejected)")
            #expect(try await daemon.stop() == 0)
        }
    }
}
