import ExchangeModel
import Testing

@testable import ExchangeStore

/// The record's size is computed ahead so its buffer is allocated once; a wrong count costs a
/// reallocation (too small) or memory held per event in flight (too large).
@Suite struct EventRecordTests {
    @Test(arguments: [
        sampleEvent(id: "m-1"),
        sampleEvent(id: "m-é-2", subject: nil, size: 1024),
        Envelope(id: "x", source: "s", type: "t", topic: "a.b", data: []),
        Envelope(
            id: "y", source: "s", type: "t", topic: "a.b", subject: "日本", time: "2026-11-27T08:00:00Z",
            dataContentType: "application/json", dataSchema: "https://example.gov/s.json",
            extensions: ["traceparent": "00-ab", "zeta": "ζ"], data: Array("{}".utf8)),
    ])
    func encodedSizeIsTheEncodedLength(envelope: Envelope) throws {
        var writer = RecordWriter(capacity: 0)
        let routes = [
            StoredRoute(consumer: "a", agreement: "x", agreementVersion: 1), StoredRoute(consumer: "b", agreement: "y", agreementVersion: 2),
        ]
        EventRecord.encode(envelope, routes: routes, into: &writer)
        #expect(EventRecord.encodedSize(of: envelope, routeCount: routes.count) == writer.bytes.count)
        let decoded = try writer.bytes.withUnsafeBytes { try EventRecord.decode(sequence: 1, $0) }
        #expect(decoded.envelope == envelope)
    }
}
