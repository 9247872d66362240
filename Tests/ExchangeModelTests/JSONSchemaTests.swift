import ExchangeModel
import Testing

@Suite struct JSONSchemaTests {
    func schema(_ text: String) throws -> JSONSchema {
        try JSONSchema(JSONValue.parse(text))
    }

    func violation(_ schemaText: String, _ dataText: String) throws -> String? {
        try schema(schemaText).validate(JSONValue.parse(dataText))?.description
    }

    @Test func typesIncludingIntegerAndLists() throws {
        #expect(try violation(#"{"type":"integer"}"#, "3") == nil)
        #expect(try violation(#"{"type":"integer"}"#, "3.5") != nil)
        #expect(try violation(#"{"type":["string","null"]}"#, "null") == nil)
        #expect(try violation(#"{"type":"string"}"#, "1") == "data: is number, expected string")
    }

    @Test func objectsRequiredAndAdditionalProperties() throws {
        let text = #"{"type":"object","required":["a"],"properties":{"a":{"type":"string"}},"additionalProperties":false}"#
        #expect(try violation(text, #"{"a":"x"}"#) == nil)
        #expect(try violation(text, #"{}"#) == "data: lacks required property 'a'")
        #expect(try violation(text, #"{"a":"x","b/c":1}"#) == "/b~1c: is not an allowed property")
        #expect(try violation(text, #"{"a":1}"#) == "/a: is number, expected string")
    }

    @Test func arraysStringsNumbersAndFormats() throws {
        #expect(try violation(#"{"items":{"type":"number"},"minItems":1,"maxItems":2}"#, "[1,\"x\"]") == "/1: is string, expected number")
        #expect(try violation(#"{"minItems":1}"#, "[]") != nil)
        #expect(try violation(#"{"minLength":2,"maxLength":3}"#, #""abcd""#) != nil)
        #expect(try violation(#"{"pattern":"^L-[0-9]+$"}"#, #""L-12""#) == nil)
        #expect(try violation(#"{"pattern":"^L-[0-9]+$"}"#, #""X-12""#) != nil)
        #expect(try violation(#"{"minimum":0,"exclusiveMaximum":10}"#, "10") != nil)
        #expect(try violation(#"{"minimum":0,"exclusiveMaximum":10}"#, "0") == nil)
        #expect(try violation(#"{"format":"date"}"#, #""2026-02-30""#) != nil)
        #expect(try violation(#"{"format":"date"}"#, #""2026-02-28""#) == nil)
        #expect(try violation(#"{"format":"date-time"}"#, #""2026-02-28T10:00:00+08:00""#) == nil)
        #expect(try violation(#"{"enum":["valid","revoked"]}"#, #""expired""#) != nil)
        #expect(try violation(#"{"const":1}"#, "1") == nil)
    }

    /// Dates in data are values of any year: "9999-12-31" (no expiry) and birth dates before
    /// 1970 are ordinary, and none of them may trap.
    @Test func datesOfAnyYearAreValidData() throws {
        #expect(try violation(#"{"format":"date"}"#, #""9999-12-31""#) == nil)
        #expect(try violation(#"{"format":"date"}"#, #""1965-03-01""#) == nil)
        #expect(try violation(#"{"format":"date-time"}"#, #""3026-09-14T09:00:00+08:00""#) == nil)
        #expect(try violation(#"{"format":"date"}"#, #""9999-13-01""#) != nil)
    }

    @Test func unsupportedKeywordsAndBadValuesAreRefusedAtCompile() {
        #expect(throws: JSONSchemaError.self) { try schema(#"{"oneOf":[]}"#) }
        #expect(throws: JSONSchemaError.self) { try schema(#"{"type":"text"}"#) }
        #expect(throws: JSONSchemaError.self) { try schema(#"{"pattern":"("}"#) }
        do {
            _ = try schema(#"{"properties":{"a":{"minLength":-1}}}"#)
            Issue.record("a negative minLength compiled")
        } catch {
            #expect((error as? JSONSchemaError)?.path == "/properties/a/minLength")
        }
    }

    @Test(arguments: ["minItems", "maxItems", "minLength", "maxLength"])
    func countsBeyondTheIntegerRangeAreRefusedAtCompile(keyword: String) throws {
        for number in ["1e19", "9223372036854775808", "1e308"] {
            do {
                _ = try schema(#"{"\#(keyword)":\#(number)}"#)
                Issue.record("\(keyword) \(number) compiled")
            } catch {
                #expect((error as? JSONSchemaError)?.path == "/\(keyword)")
                #expect((error as? JSONSchemaError)?.message == "must be a non-negative whole number")
            }
        }
        #expect(throws: Never.self) { try schema(#"{"\#(keyword)":4611686018427387904}"#) }
    }
}
