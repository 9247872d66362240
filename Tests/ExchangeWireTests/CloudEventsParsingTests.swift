import ExchangeConfig
import ExchangeModel
import ExchangeWire
import Foundation
import HTTPTypes
import Testing

@Suite("CloudEvents parsing")
struct CloudEventsParsingTests {
    let options = CloudEventsOptions(limits: PublishLimits(maxEventSize: 1024, maxBatchEvents: 3), source: "tax-bureau")

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func code(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let problem as ProblemError {
            return problem.code.rawValue
        } catch {
            return "unexpected \(error)"
        }
    }

    // MARK: Structured

    @Test func structuredKeepsJSONDataByteForByte() throws {
        let data = #"{ "holder" : "Acme \u00e9 Ltd",  "n": [1, 2.5e3, -0.1, true, null] }"#
        let text = #"{"specversion":"1.0","id":"e-1","source":"spoofed","type":"licence.issued","topic":"licence.food.issued","subject":"L-1","time":"2026-11-27T08:30:00Z","dataschema":"https://schemas.example/licence","traceid":"abc","priority":5,"urgent":true,"data":"# + data + "}"
        let envelope = try CloudEvents.parseStructured(bytes(text), options: options)
        #expect(envelope.id == "e-1")
        #expect(envelope.type == "licence.issued")
        #expect(envelope.source == "tax-bureau")
        #expect(envelope.topic == "licence.food.issued")
        #expect(envelope.subject == "L-1")
        #expect(envelope.time == "2026-11-27T08:30:00Z")
        #expect(envelope.dataSchema == "https://schemas.example/licence")
        #expect(envelope.dataContentType == "application/json")
        #expect(envelope.extensions == ["traceid": "abc", "priority": "5", "urgent": "true"])
        #expect(envelope.data == bytes(data))
    }

    @Test func structuredDecodesBase64AndStringData() throws {
        let base64 = #"{"specversion":"1.0","id":"1","type":"t","topic":"a.b","datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="}"#
        #expect(try CloudEvents.parseStructured(bytes(base64), options: options).data == [0, 1, 2, 255])
        let textData = #"{"specversion":"1.0","id":"1","type":"t","topic":"a.b","datacontenttype":"text/plain","data":"line\nnext \"q\""}"#
        #expect(try CloudEvents.parseStructured(bytes(textData), options: options).data == bytes("line\nnext \"q\""))
        let jsonString = #"{"specversion":"1.0","id":"1","type":"t","topic":"a.b","data":"x\ny"}"#
        #expect(try CloudEvents.parseStructured(bytes(jsonString), options: options).data == bytes(#""x\ny""#))
        let noData = #"{"specversion":"1.0","id":"1","type":"t","topic":"a.b","data":null}"#
        #expect(try CloudEvents.parseStructured(bytes(noData), options: options).data == [])
    }

    @Test func routeTopicWinsAndMustAgree() throws {
        var routed = options
        routed.topic = "a.b"
        let without = #"{"specversion":"1.0","id":"1","type":"t"}"#
        #expect(try CloudEvents.parseStructured(bytes(without), options: routed).topic == "a.b")
        let other = #"{"specversion":"1.0","id":"1","type":"t","topic":"c.d"}"#
        #expect(code { try CloudEvents.parseStructured(bytes(other), options: routed) } == "cloudevents.invalid_attribute")
        #expect(code { try CloudEvents.parseStructured(bytes(without), options: options) } == "cloudevents.missing_attribute")
    }

    @Test(arguments: [
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a""#, "cloudevents.malformed_json"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a"} x"#, "cloudevents.malformed_json"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":{"x":01}}"#, "cloudevents.malformed_json"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":[1,]}"#, "cloudevents.malformed_json"),
        (#"{"specversion":"1.0","id":"1\u0001","type":"t","topic":"a","data":"\x"}"#, "cloudevents.malformed_json"),
        (#"["not an object"]"#, "cloudevents.malformed_json"),
        (#""#, "cloudevents.malformed_json"),
        (#"{"id":"1","type":"t","topic":"a"}"#, "cloudevents.missing_attribute"),
        (#"{"specversion":"1.0","type":"t","topic":"a"}"#, "cloudevents.missing_attribute"),
        (#"{"specversion":"1.0","id":"","type":"t","topic":"a"}"#, "cloudevents.missing_attribute"),
        (#"{"specversion":"1.0","id":"1","topic":"a"}"#, "cloudevents.missing_attribute"),
        (#"{"specversion":"0.3","id":"1","type":"t","topic":"a"}"#, "cloudevents.unsupported_specversion"),
        (#"{"specversion":1.0,"id":"1","type":"t","topic":"a"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","Bad_Name":"x"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","averyveryverylongattributename":"x"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","ext":{"x":1}}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","id":"2","type":"t","topic":"a"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","sequence":"9"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":1,"data":2}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","ext":"x","ext":"y"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","subject":""}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":true,"topic":"a"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","time":"yesterday"}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":1,"data_base64":"AA=="}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","data_base64":"***"}"#, "cloudevents.invalid_attribute"),
        // Found by fuzzing: bytes that are not JSON, said to be JSON, would be delivered as `data`.
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","datacontenttype":"application/octet-stream+json","data_base64":"AAEC/w=="}"#, "cloudevents.invalid_attribute"),
        (#"{"specversion":"1.0","id":"1","type":"t","topic":"a","datacontenttype":"application/json","data_base64":"eyJ4IjoxfSB4"}"#, "cloudevents.invalid_attribute"),
    ])
    func structuredErrors(text: String, expected: String) {
        #expect(code { try CloudEvents.parseStructured(bytes(text), options: options) } == expected, "\(text)")
    }

    /// The refusal says where the bytes stop being JSON, as binary mode's does, and echoes
    /// at most 128 bytes of the content type however long it is.
    @Test func base64DataThatIsNotJSONIsRefusedWithWhereAndABoundedEcho() throws {
        // `{"x":1} x` in base64.
        let text = #"{"specversion":"1.0","id":"1","type":"t","topic":"a","datacontenttype":"application/json","data_base64":"eyJ4IjoxfSB4"}"#
        let problem = try #require(throws: ProblemError.self) { try CloudEvents.parseStructured(bytes(text), options: options) }
        #expect(problem.detail?.contains("unexpected content after the JSON value at byte 8") == true, "\(problem.detail ?? "")")
        let long = "application/" + String(repeating: "a", count: 600) + "+json"
        let echoed = #"{"specversion":"1.0","id":"1","type":"t","topic":"a","datacontenttype":""# + long + #"","data_base64":"eyJ4IjoxfSB4"}"#
        let refusal = try #require(throws: ProblemError.self) { try CloudEvents.parseStructured(bytes(echoed), options: options) }
        #expect(refusal.detail?.contains("not one JSON value") == true, "\(refusal.detail ?? "")")
        #expect((refusal.detail?.utf8.count ?? .max) < 400, "\(refusal.detail ?? "")")
    }

    /// An event stored before such events were refused, whose data is said to be JSON and is
    /// not, is delivered as `data_base64`: the document (and a pull's array of them) stays JSON.
    @Test func storedDataSaidToBeJSONThatIsNotIsDeliveredInBase64() throws {
        let envelope = Envelope(
            id: "1", source: "tax", type: "t", topic: "a", dataContentType: "application/json", data: Array(#"{"x":1} x"#.utf8))
        let written = CloudEvents.encode(envelope, delivery: DeliveryAttributes(sequence: 7, topic: "a"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written)) as? [String: Any], "\(String(decoding: written, as: UTF8.self))")
        #expect(object["data"] == nil)
        #expect((object["data_base64"] as? String).flatMap { Data(base64Encoded: $0) } == Data(#"{"x":1} x"#.utf8))
        let batch = CloudEvents.encodeBatch([(envelope, nil), (envelope, nil)])
        #expect(try JSONSerialization.jsonObject(with: Data(batch)) is [Any])
    }

    @Test func jsonDataInBase64IsReadAndDeliveredAsData() throws {
        // {"x":1} in base64, said to be JSON: kept, and written back as `data`.
        let text = #"{"specversion":"1.0","id":"1","type":"t","topic":"a","datacontenttype":"application/json","data_base64":"eyJ4IjoxfQ=="}"#
        let envelope = try CloudEvents.parseStructured(bytes(text), options: options)
        #expect(envelope.data == Array(#"{"x":1}"#.utf8))
        let written = String(decoding: CloudEvents.encode(envelope), as: UTF8.self)
        #expect(written.contains(#""data":{"x":1}"#), "\(written)")
        #expect(try CloudEvents.parseStructured(Array(written.utf8), options: options) == envelope)
    }

    @Test func structuredEventTooLarge() throws {
        let padding = String(repeating: "x", count: 1024)
        let text = #"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":""# + padding + #""}"#
        #expect(code { try CloudEvents.parseStructured(bytes(text), options: options) } == "cloudevents.event_too_large")
        let fits = #"{"specversion":"1.0","id":"1","type":"t","topic":"a","data":""# + String(padding.prefix(900)) + #""}"#
        #expect(try CloudEvents.parseStructured(bytes(fits), options: options).data.count == 902)
    }

    // MARK: Batch

    @Test func batchParsesEachEvent() throws {
        let text = #" [ {"specversion":"1.0","id":"1","type":"t","topic":"a","data":{"n":1}} , {"specversion":"1.0","id":"2","type":"t","topic":"b","data":[true]} ] "#
        let envelopes = try CloudEvents.parseBatch(bytes(text), options: options)
        #expect(envelopes.map(\.id) == ["1", "2"])
        #expect(envelopes.map(\.topic) == ["a", "b"])
        #expect(envelopes.map { String(decoding: $0.data, as: UTF8.self) } == [#"{"n":1}"#, "[true]"])
    }

    @Test func batchErrors() {
        let event = #"{"specversion":"1.0","id":"1","type":"t","topic":"a"}"#
        #expect(code { try CloudEvents.parseBatch(bytes("[]"), options: options) } == "cloudevents.empty_batch")
        #expect(code { try CloudEvents.parseBatch(bytes(event), options: options) } == "cloudevents.malformed_json")
        #expect(code { try CloudEvents.parseBatch(bytes("[\(event),]"), options: options) } == "cloudevents.malformed_json")
        let four = "[" + Array(repeating: event, count: 4).joined(separator: ",") + "]"
        #expect(code { try CloudEvents.parseBatch(bytes(four), options: options) } == "cloudevents.too_many_events")
        let three = "[" + Array(repeating: event, count: 3).joined(separator: ",") + "]"
        #expect((try? CloudEvents.parseBatch(bytes(three), options: options))?.count == 3)
        let second = "[\(event),{\"specversion\":\"1.0\",\"type\":\"t\",\"topic\":\"a\"}]"
        do {
            _ = try CloudEvents.parseBatch(bytes(second), options: options)
            Issue.record("a batch with an event without id was accepted")
        } catch {
            #expect(error.code == .missingAttribute)
            #expect(error.detail?.hasPrefix("event 1: ") == true)
        }
    }

    // MARK: Binary

    @Test func binaryReadsHeadersAndKeepsBody() throws {
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json; charset=utf-8"
        headers[HTTPField.Name("ce-specversion")!] = "1.0"
        headers[HTTPField.Name("ce-id")!] = "b-1"
        headers[HTTPField.Name("ce-type")!] = "licence.issued"
        headers[HTTPField.Name("ce-topic")!] = "licence.food.issued"
        headers[HTTPField.Name("ce-subject")!] = "caf%C3%A9%20%25"
        headers[HTTPField.Name("ce-traceid")!] = "t-9"
        let body = bytes(#"{"holder": "Acme"}"#)
        #expect(try CloudEvents.mode(of: headers) == .binary)
        let envelopes = try CloudEvents.parse(headers: headers, body: body, options: options)
        #expect(envelopes.count == 1)
        let envelope = try #require(envelopes.first)
        #expect(envelope.id == "b-1")
        #expect(envelope.subject == "café %")
        #expect(envelope.dataContentType == "application/json; charset=utf-8")
        #expect(envelope.extensions == ["traceid": "t-9"])
        #expect(envelope.data == body)
        #expect(envelope.source == "tax-bureau")
    }

    @Test func binaryErrors() {
        func headers(_ pairs: [(String, String)], contentType: String? = "application/json") -> HTTPFields {
            var fields: HTTPFields = [:]
            if let contentType { fields[.contentType] = contentType }
            for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            return fields
        }
        let base = [("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", "t"), ("ce-topic", "a")]
        #expect(code { try CloudEvents.parse(headers: headers(base), body: bytes("{"), options: options) } == "cloudevents.malformed_json")
        #expect(code { try CloudEvents.parse(headers: headers(base), body: bytes("{} {}"), options: options) } == "cloudevents.malformed_json")
        #expect(code { try CloudEvents.parse(headers: headers(base, contentType: "text/plain"), body: bytes("{"), options: options) } == nil)
        #expect(code { try CloudEvents.parse(headers: headers(Array(base.dropFirst(1)) + [("ce-specversion", "0.3")]), body: [], options: options) } == "cloudevents.unsupported_specversion")
        #expect(code { try CloudEvents.parse(headers: headers(base.filter { $0.0 != "ce-id" }), body: [], options: options) } == "cloudevents.missing_attribute")
        #expect(code { try CloudEvents.parse(headers: headers(base + [("ce-bad_name", "x")]), body: [], options: options) } == "cloudevents.invalid_attribute")
        #expect(code { try CloudEvents.parse(headers: headers(base + [("ce-subject", "%zz")]), body: [], options: options) } == "cloudevents.invalid_attribute")
        #expect(code { try CloudEvents.parse(headers: headers(base + [("ce-agreement", "x")]), body: [], options: options) } == "cloudevents.invalid_attribute")
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 1025)
        #expect(code { try CloudEvents.parse(headers: headers(base, contentType: "text/plain"), body: big, options: options) } == "cloudevents.event_too_large")
    }

    /// A `ce-data` header would become an extension named `data`; written in structured mode for
    /// delivery it would collide with the data member, and consumers could not parse the event.
    @Test func binaryRefusesDataAsAHeaderAttribute() throws {
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in [("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", "t"), ("ce-topic", "a"), ("ce-data", "x")] {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        #expect(code { try CloudEvents.parse(headers: fields, body: bytes("{\"n\":1}"), options: options) } == "cloudevents.invalid_attribute")
        fields[HTTPField.Name("ce-data")!] = nil
        let envelope = try CloudEvents.parse(headers: fields, body: bytes("{\"n\":1}"), options: options)[0]
        let reread = try CloudEvents.parseStructured(CloudEvents.encode(envelope), options: options)
        #expect(reread == envelope)
    }

    /// CloudEvents 1.0 (type system, String) allows no U+0000-U+001F or U+007F-U+009F in a
    /// String value: an id or subject with a NUL, a newline or a C1 control is refused in every
    /// mode, whatever attribute holds it.
    @Test func controlCharactersInAttributesAreRefused() {
        let bad = [#"nul\u0000x"#, #"line\nbreak"#, #"cr\r"#, #"tab\t"#, #"del\u007f"#, #"nel\u0085"#, #"c1\u009f"#]
        for value in bad {
            for attribute in ["id", "type", "subject", "traceid", "topic", "dataschema"] {
                var members = ["specversion": #""1.0""#, "id": #""e-1""#, "type": #""t""#, "topic": #""a""#]
                members[attribute] = "\"\(value)\""
                let text = "{" + members.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
                #expect(code { try CloudEvents.parseStructured(bytes(text), options: options) } == "cloudevents.invalid_attribute", "\(attribute)=\(value)")
            }
        }
        // Neighbouring characters stay allowed: U+00A0, U+2028, and non-ASCII text.
        let fine = #"{"specversion":"1.0","id":"e\u00a0\u2028","type":"t","topic":"a","subject":"许可证 é"}"#
        #expect(code { try CloudEvents.parseStructured(bytes(fine), options: options) } == nil)

        let event = #"{"specversion":"1.0","id":"1","type":"t","topic":"a"}"#
        let batch = "[\(event),{\"specversion\":\"1.0\",\"id\":\"2\",\"type\":\"t\\u0000\",\"topic\":\"a\"}]"
        do {
            _ = try CloudEvents.parseBatch(bytes(batch), options: options)
            Issue.record("a batch with a NUL in an event's type was accepted")
        } catch {
            #expect(error.code == .invalidAttribute)
            #expect(error.detail?.hasPrefix("event 1: ") == true)
        }

        for encoded in ["a%0Ab", "%00", "x%7F", "x%C2%85", "%1B[31m"] {
            var fields: HTTPFields = [.contentType: "application/json"]
            for (name, value) in [("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", "t"), ("ce-topic", "a"), ("ce-subject", encoded)] {
                fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
            }
            #expect(code { try CloudEvents.parse(headers: fields, body: [], options: options) } == "cloudevents.invalid_attribute", "\(encoded)")
        }

        // The route's topic becomes the event's `topic` when the event names none: it is held to
        // the same rule (a fuzzing find: such an event, written in structured mode, did not parse).
        let routed = CloudEventsOptions(source: "market-regulation", topic: "l\u{14}icence.food.issued")
        #expect(
            code { try CloudEvents.parseStructured(bytes(#"{"specversion":"1.0","id":"1","type":"t"}"#), options: routed) }
                == "cloudevents.invalid_attribute")
    }

    // MARK: Modes

    @Test func modeFromContentType() throws {
        #expect(try CloudEvents.mode(of: [.contentType: "application/cloudevents+json; charset=UTF-8"]) == .structured)
        #expect(try CloudEvents.mode(of: [.contentType: "Application/CloudEvents-Batch+JSON"]) == .batch)
        #expect(try CloudEvents.mode(of: [.contentType: "  application/cloudevents+json ;charset=utf-8"]) == .structured)
        #expect(CloudEvents.isJSON(contentType: " Text/JSON; charset=utf-8"))
        #expect(CloudEvents.isJSON(contentType: "application/vnd.licence+json"))
        #expect(!CloudEvents.isJSON(contentType: "application/xml"))
        for contentType in ["application/json", "application/cloudevents+avro", "text/plain"] {
            #expect(code { try CloudEvents.mode(of: [.contentType: contentType]) } == "cloudevents.unsupported_content_type", "\(contentType)")
        }
        #expect(code { try CloudEvents.mode(of: [:]) } == "cloudevents.unsupported_content_type")
        let structured = #"{"specversion":"1.0","id":"1","type":"t","topic":"a"}"#
        #expect(try CloudEvents.parse(headers: [.contentType: CloudEvents.structuredMediaType], body: bytes(structured), options: options).count == 1)
        #expect(try CloudEvents.parse(headers: [.contentType: CloudEvents.batchMediaType], body: bytes("[\(structured)]"), options: options).count == 1)
    }
}
