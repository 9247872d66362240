import ExchangeWire
import Foundation
import Testing

/// A subscription stream's control frame is read with one parse (`StreamControl.read`), and
/// reads exactly as the strict reader followed by Foundation's decoder did: the same frames are
/// accepted, with the same members, and the same are refused.
@Suite struct StreamControlReadingTests {
    /// The two-parse reading the stream used before: the strict rules, then `JSONDecoder`.
    static func twoParses(_ text: String) -> (control: StreamControl?, violation: String?) {
        if let violation = StreamControl.strictViolation(Array(text.utf8)) { return (nil, violation) }
        return (try? JSONDecoder().decode(StreamControl.self, from: Data(text.utf8)), nil)
    }

    static let frames = [
        #"{"credit": 5}"#, #"{"ack": [1, 2, 3]}"#, #"{"nak": [4], "delay_ms": 250}"#, #"{"term": []}"#,
        #"{"credit": 1, "ack": [9], "nak": [10], "term": [11], "delay_ms": 0}"#, #"{"credit": null}"#, #"{"ack": null, "credit": 2}"#,
        #"{}"#, #"[]"#, #"5"#, #""credit""#, #"null"#, #"{"credit": "5"}"#, #"{"credit": true}"#, #"{"credit": 1.5}"#, #"{"credit": 1e2}"#,
        #"{"credit": -3}"#, #"{"credit": 9223372036854775807}"#, #"{"credit": 9223372036854775808}"#, #"{"ack": [-1]}"#,
        #"{"ack": [18446744073709551615]}"#, #"{"ack": [18446744073709551616]}"#, #"{"ack": ["1"]}"#, #"{"ack": [[1]]}"#, #"{"ack": [null]}"#,
        #"{"ack": 1}"#, #"{"ack": {"1": 1}}"#, #"{"delay_ms": -1, "nak": [1]}"#, #"{"delay_ms": "1", "nak": [1]}"#, #"{"credit": 1, "credit": 2}"#,
        #"{"credits": 1}"#, #"{"credit": 1,}"#, #"{"credit": 1"#, "", " ", #"{"credit": 01}"#, #"{"ack": [1, 2.0]}"#, #"{"credit": -0}"#,
        #"{"credit":1}   "#, #"  {"ack":[7]}"#, #"{"ack": [1], "nak": [1]}"#,
    ]

    @Test(arguments: frames)
    func oneParseReadsAsTheStrictReaderAndTheDecoderDid(_ frame: String) {
        let before = Self.twoParses(frame)
        let now = StreamControl.read(frame.utf8)
        #expect(now.violation == before.violation, "\(frame)")
        #expect(now.value?.credit == before.control?.credit, "\(frame)")
        #expect(now.value?.ack == before.control?.ack, "\(frame)")
        #expect(now.value?.nak == before.control?.nak, "\(frame)")
        #expect(now.value?.term == before.control?.term, "\(frame)")
        #expect(now.value?.delayMs == before.control?.delayMs, "\(frame)")
        #expect((now.value == nil) == (before.control == nil), "\(frame)")
    }
}

/// A settlement body (`POST .../ack`, `nak`, `term`, `redrive`) is read with one parse
/// (`SequencesRequest.read`), as the strict reader followed by Foundation's decoder read it.
@Suite struct SequencesRequestReadingTests {
    static func twoParses(_ text: String) -> (request: SequencesRequest?, violation: String?) {
        if let violation = SequencesRequest.strictViolation(Array(text.utf8)) { return (nil, violation) }
        return (try? JSONDecoder().decode(SequencesRequest.self, from: Data(text.utf8)), nil)
    }

    static let bodies = [
        #"{"sequences": [1, 2, 3]}"#, #"{"sequences": []}"#, #"{"sequences": [4], "delay_ms": 250}"#, #"{"sequences": [4], "delay_ms": null}"#,
        #"{"delay_ms": 5}"#, #"{"sequences": null}"#, #"{}"#, #"[]"#, #"{"sequences": "1"}"#, #"{"sequences": [1.5]}"#, #"{"sequences": [-1]}"#,
        #"{"sequences": [18446744073709551615]}"#, #"{"sequences": [18446744073709551616]}"#, #"{"sequences": ["1"]}"#, #"{"sequences": [null]}"#,
        #"{"sequences": [1], "delay_ms": -1}"#, #"{"sequences": [1], "delay_ms": "5"}"#, #"{"sequences": [1], "delay_ms": 1e3}"#,
        #"{"sequences": [1], "sequences": [2]}"#, #"{"sequences": [1], "extra": 1}"#, #"{"sequences": [1]"#, "", #"{"sequences": [-0]}"#,
        #"{"sequences": [[1]]}"#, #"{"sequences": {"a": 1}}"#, #"  {"sequences":[7]}  "#,
    ]

    @Test(arguments: bodies)
    func oneParseReadsAsTheStrictReaderAndTheDecoderDid(_ body: String) {
        let before = Self.twoParses(body)
        let now = SequencesRequest.read(Array(body.utf8))
        #expect(now.violation == before.violation, "\(body)")
        #expect(now.value?.sequences == before.request?.sequences, "\(body)")
        #expect(now.value?.delayMs == before.request?.delayMs, "\(body)")
        #expect((now.value == nil) == (before.request == nil), "\(body)")
    }
}
