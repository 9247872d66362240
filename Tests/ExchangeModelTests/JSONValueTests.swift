import ExchangeModel
import Testing

@Suite struct JSONValueTests {
    @Test func parsesNestedDocumentKeepingOrderAndNumberText() throws {
        let text = #"{"z":1,"a":[true,false,null,"x"],"m":{"n":-0.50,"e":1E+3}}"#
        let value = try JSONValue.parse(text)
        guard case .object(let object) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(object.members.map(\.key) == ["z", "a", "m"])
        #expect(value["m"]?["n"] == .number(JSONNumber("-0.50")!))
        #expect(value["m"]?["n"]?.doubleValue == -0.5)
        #expect(value["m"]?["e"]?.doubleValue == 1000)
        #expect(String(decoding: value.serialized(), as: UTF8.self) == text)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSONValue.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\né😀"))
        // Serializing escapes only what must be escaped.
        #expect(String(decoding: value.serialized(), as: UTF8.self) == #""a\"b\\c/d\né😀""#)
    }

    @Test func serializesControlCharactersAsEscapes() throws {
        let value = JSONValue.string("tab\tbell\u{07}")
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #""tab\tbell\u0007""#)
        #expect(try JSONValue.parse(text) == value)
    }

    @Test(arguments: [
        ("", "json.unexpected-end"),
        ("{", "json.unexpected-end"),
        ("[1,]", "json.unexpected-character"),
        ("{\"a\":1,}", "json.unexpected-character"),
        ("01", "json.trailing-content"),
        ("1.", "json.invalid-number"),
        ("-", "json.invalid-number"),
        ("1e", "json.invalid-number"),
        ("tru", "json.unexpected-end"),
        ("nul!", "json.unexpected-character"),
        ("\"a\u{01}\"", "json.invalid-string"),
        (#""\x""#, "json.invalid-string"),
        (#""\ud800""#, "json.invalid-string"),
        (#"{"a":1,"a":2}"#, "json.duplicate-key"),
        ("{} {}", "json.trailing-content"),
    ])
    func refusesInvalidDocuments(_ text: String, _ code: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.code.rawValue == code)
        }
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xFF, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: JSONValue.maximumDepth + 1)
            + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        do {
            _ = try JSONValue.parse(deep)
            Issue.record("expected a depth error")
        } catch {
            #expect(error.code == .tooDeep)
        }
        let fine = String(repeating: "[", count: JSONValue.maximumDepth)
            + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue.parse(fine)
    }

    @Test func reportsOffsetOfTheProblem() {
        do {
            _ = try JSONValue.parse(#"{"a": tx}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 6)
        }
    }

    @Test func numberInitializers() {
        #expect(JSONNumber("12.5")?.doubleValue == 12.5)
        #expect(JSONNumber("012") == nil)
        #expect(JSONNumber("1e5")?.text == "1e5")
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(2.5).text == "2.5")
    }
}

@Suite struct JSONLargeObjectTests {
    @Test func findsDuplicateKeysInLargeObjects() {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }
        let unique = "{" + members.joined(separator: ",") + "}"
        #expect((try? JSONValue.parse(unique))?["k39"] == .number(JSONNumber(39)))
        let duplicate = "{" + (members + [#""k3":0"#]).joined(separator: ",") + "}"
        do {
            _ = try JSONValue.parse(duplicate)
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.code == .duplicateKey)
        }
    }
}
