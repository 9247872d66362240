import ExchangeModel
import ExchangeWire
import Foundation
import Testing

@Suite("CloudEvents encoding")
struct CloudEventsEncodingTests {
    let options = CloudEventsOptions(source: "tax-bureau")

    @Test func embedsJSONDataRawWithDeliveryAttributes() throws {
        let data = Array(#"{ "holder" : "Acme" }"#.utf8)
        let envelope = Envelope(
            id: "e\"1", source: "tax-bureau", type: "licence.issued", topic: "licence.food.issued", subject: "L-1",
            time: "2026-11-27T08:30:00Z", extensions: ["zeta": "z", "alpha": "a\n"], data: data)
        let bytes = CloudEvents.encode(
            envelope, delivery: DeliveryAttributes(sequence: 42, topic: "licence.food.issued", agreement: "ag-7", receivedAt: "2026-11-27T08:30:01Z"))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"{"specversion":"1.0","id":"e\"1","source":"tax-bureau","type":"licence.issued","subject":"L-1","time":"2026-11-27T08:30:00Z","datacontenttype":"application/json","topic":"licence.food.issued","sequence":"42","agreement":"ag-7","receivedat":"2026-11-27T08:30:01Z","alpha":"a\n","zeta":"z","data":{ "holder" : "Acme" }}"#)
        // Foundation agrees it is JSON.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["sequence"] as? String == "42")
    }

    @Test func base64ForNonJSONData() throws {
        let envelope = Envelope(id: "1", source: "s", type: "t", topic: "a", dataContentType: "application/pdf", data: [0, 1, 2, 255])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(CloudEvents.encode(envelope))) as? [String: Any])
        #expect(object["data_base64"] as? String == "AAEC/w==")
        #expect(object["data"] == nil)
    }

    @Test func roundTripsThroughTheParser() throws {
        let envelope = Envelope(
            id: "r-1", source: "tax-bureau", type: "t", topic: "a.b", subject: "s", time: "2026-01-01T00:00:00Z",
            dataContentType: "application/json", dataSchema: "urn:x", extensions: ["traceid": "x"], data: Array(#"[1,{"a":"\u00e9"}]"#.utf8))
        #expect(try CloudEvents.parseStructured(CloudEvents.encode(envelope), options: options) == envelope)
        let binary = Envelope(id: "r-2", source: "tax-bureau", type: "t", topic: "a.b", dataContentType: "image/png", data: [137, 80, 78, 71])
        #expect(try CloudEvents.parseStructured(CloudEvents.encode(binary), options: options) == binary)
    }

    /// NDJSON as replay writes it: each event encoded into the buffer, then a newline.
    static func ndjson(_ events: [(envelope: Envelope, delivery: DeliveryAttributes?)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for event in events {
            CloudEvents.encode(event.envelope, delivery: event.delivery, into: &bytes)
            bytes.append(0x0A)
        }
        return bytes
    }

    @Test func ndjsonAndBatch() throws {
        let first = Envelope(id: "1", source: "s", type: "t", topic: "a", data: Array("1".utf8))
        let second = Envelope(id: "2", source: "s", type: "t", topic: "a", data: Array("2".utf8))
        let lines = Self.ndjson([(first, DeliveryAttributes(sequence: 1, topic: "a")), (second, nil)])
        let split = lines.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(split.count == 3)
        #expect(split.last?.isEmpty == true)
        #expect(try CloudEvents.parseStructured(Array(split[1]), options: CloudEventsOptions(source: "s")) == second)
        let batch = CloudEvents.encodeBatch([(first, nil), (second, nil)])
        #expect(try CloudEvents.parseBatch(batch, options: CloudEventsOptions(source: "s")) == [first, second])
    }

    @Test func prettyPrintedJSONDataStaysOnOneNDJSONLine() throws {
        let pretty = Envelope(id: "p", source: "s", type: "t", topic: "a", data: Array("{\n  \"licence_no\": \"L-1\",\r\n  \"n\": 2\n}".utf8))
        let many = (0..<600).map { index in
            (Envelope(id: "e\(index)", source: "s", type: "t", topic: "a", data: Array("{\n\"i\": \(index)\n}".utf8)), DeliveryAttributes?.none)
        }
        let lines = Self.ndjson([(pretty, nil)] + many).split(separator: 0x0A)
        #expect(lines.count == 601)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0])) as? [String: Any])
        #expect((first["data"] as? [String: Any])?["licence_no"] as? String == "L-1")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines[600])) as? [String: Any])
        #expect((last["data"] as? [String: Any])?["i"] as? Int == 599)
    }
}
