import ExchangeModel
import Testing

@Suite struct JSONPointerTests {
    // The examples of RFC 6901 section 5.
    static let document = try! JSONValue.parse(
        #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#)

    @Test(arguments: [
        ("", nil as String?),
        ("/foo", #"["bar","baz"]"#),
        ("/foo/0", #""bar""#),
        ("/", "0"),
        ("/a~1b", "1"),
        ("/c%d", "2"),
        ("/e^f", "3"),
        ("/g|h", "4"),
        ("/i\\j", "5"),
        ("/k\"l", "6"),
        ("/ ", "7"),
        ("/m~0n", "8"),
    ])
    func resolvesTheRFCExamples(_ pointer: String, _ expected: String?) throws {
        let resolved = try JSONPointer(pointer).resolve(in: Self.document)
        if let expected {
            #expect(resolved == (try JSONValue.parse(expected)))
        } else {
            #expect(resolved == Self.document)
        }
    }

    @Test(arguments: ["/foo/2", "/foo/-", "/foo/01", "/foo/-1", "/nope", "/foo/0/x", "/foo/bar"])
    func missingTargetsResolveToNothing(_ pointer: String) throws {
        #expect(try JSONPointer(pointer).resolve(in: Self.document) == nil)
    }

    @Test(arguments: ["foo", "/a~2", "/a~", "~1"])
    func refusesMalformedPointers(_ text: String) {
        #expect(throws: JSONPointerError.self) { try JSONPointer(text) }
    }

    @Test func escapesTokensInDescription() throws {
        let pointer = JSONPointer(tokens: ["a/b", "m~n", ""])
        #expect(pointer.description == "/a~1b/m~0n/")
        #expect(try JSONPointer(pointer.description) == pointer)
    }

    @Test(arguments: [("0", 0), ("7", 7), ("12", 12)])
    func parsesArrayIndexes(_ token: String, _ index: Int) {
        #expect(JSONPointer.arrayIndex(token) == index)
    }

    @Test(arguments: ["", "-", "01", "-1", "1a", "+1"])
    func refusesNonIndexes(_ token: String) {
        #expect(JSONPointer.arrayIndex(token) == nil)
    }
}
