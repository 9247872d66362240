import ExchangeModel
import ExchangeStore
import ExchangeWire
import Foundation
import TestSupport
import Testing

/// Replays write events straight from their records; the lines must be exactly what the
/// envelope encoder writes for the decoded events, with or without an agreement.
@Suite struct RecordEncodingTests {
    @Test func linesFromRecordsEqualLinesFromDecodedEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        defer { store.close() }
        let events = [
            Envelope(id: "plain", source: "msa", type: "licence.issued", topic: "licence.business.issued", data: Array(#"{"a":1}"#.utf8)),
            Envelope(
                id: "full \"quoted\"\tid", source: "msa", type: "licence.issued", topic: "licence.business.issued", subject: "许可证-1",
                time: "2026-11-27T08:00:00Z", dataContentType: "application/json; charset=utf-8", dataSchema: "https://example.org/s",
                extensions: ["traceparent": "00-abc", "zone": "east"], data: Array("{\"note\":\"line\",\n\"x\":[1,\r\n2]}".utf8)),
            Envelope(id: "binary", source: "msa", type: "t", topic: "case.file", dataContentType: "application/octet-stream", data: [0, 1, 2, 255]),
            Envelope(id: "text", source: "msa", type: "t", topic: "case.file", dataContentType: "text/plain", data: Array("hello".utf8)),
            Envelope(id: "empty", source: "msa", type: "t", topic: "case.file", data: []),
            // Said to be JSON and not one JSON value (stored before such events were refused).
            Envelope(id: "legacy", source: "msa", type: "t", topic: "case.file", data: Array(#"{"x":1} x"#.utf8)),
        ]
        for event in events {
            _ = try await store.append(AppendRequest(envelope: event))
        }
        var fromRecords: [UInt8] = []
        var expected: [UInt8] = []
        var receivedAt: (nanoseconds: UInt64, text: String) = (0, "")
        // A department's replay names the agreement; an auditor's does not.
        for agreement in [nil, "agr-business-licences"] {
            _ = try store.scanLog(from: 1, limit: 100) { view in
                try CloudEvents.encodeLine(view, agreement: agreement, into: &fromRecords, receivedAt: &receivedAt)
                let stored = try view.decode()
                CloudEvents.encode(
                    stored.envelope,
                    delivery: DeliveryAttributes(
                        sequence: stored.sequence, topic: stored.envelope.topic, agreement: agreement,
                        receivedAt: RFC3339.format(nanoseconds: stored.receivedAt)),
                    into: &expected)
                expected.append(0x0A)
                return true
            }
        }
        #expect(String(decoding: fromRecords, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(fromRecords.filter { $0 == 0x0A }.count == 2 * events.count)
        #expect(String(decoding: fromRecords, as: UTF8.self).contains(#""agreement":"agr-business-licences""#))
        // Every line is one JSON document.
        for line in fromRecords.split(separator: 0x0A) {
            #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil, "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
