import ExchangeModel
import ExchangeRouting
import Testing

@Suite struct FieldProjectionTests {
    static let document = try! JSONValue.parse(#"""
        {"licence_no":"L-1","holder":{"name":"Acme","credit_code":"913","address":{"city":"Hangzhou","street":"1 Lake Rd"}},
         "items":[{"id":1,"result":"pass","note":"a"},{"id":2,"result":"fail","note":"b"},{"id":3,"result":"pass","note":"c"}],
         "score":92,"a/b":{"m~n":1}}
        """#)

    func project(_ pointers: String...) throws -> String {
        let projection = FieldProjection(try pointers.map { try JSONPointer($0) })
        return projection.apply(to: Self.document).description
    }

    /// `keeps` agrees with what `apply` keeps, for values the document has.
    @Test func keepsAnswersWhetherAValueSurvives() throws {
        let projection = FieldProjection(try ["/holder/name", "/items/1", "/score"].map { try JSONPointer($0) })
        let projected = projection.apply(to: Self.document)
        for (pointer, kept) in [
            ("/holder/name", true), ("/holder/credit_code", false), ("/holder", false), ("/items/1/result", true), ("/items/0/result", false),
            ("/score", true), ("/licence_no", false),
        ] {
            let parsed = try JSONPointer(pointer)
            #expect(projection.keeps(parsed) == kept, "\(pointer)")
            #expect((parsed.resolve(in: projected) == parsed.resolve(in: Self.document)) == kept, "\(pointer)")
        }
        #expect(FieldProjection([JSONPointer(tokens: [])]).keeps(try JSONPointer("/anything/below")))
    }

    @Test func keepsNestedStructureAndSourceOrder() throws {
        #expect(try project("/holder/address/city", "/licence_no") == #"{"licence_no":"L-1","holder":{"address":{"city":"Hangzhou"}}}"#)
    }

    @Test func wholeSubtreeWinsOverLongerPointers() throws {
        let whole = try project("/holder")
        #expect(try project("/holder/name", "/holder") == whole)
        #expect(try project("/holder") == #"{"holder":{"name":"Acme","credit_code":"913","address":{"city":"Hangzhou","street":"1 Lake Rd"}}}"#)
    }

    @Test func arrayIndexesKeepTheirPositionWithNullsBefore() throws {
        #expect(try project("/items/2/result") == #"{"items":[null,null,{"result":"pass"}]}"#)
        #expect(try project("/items/0/id", "/items/1/result") == #"{"items":[{"id":1},{"result":"fail"}]}"#)
        #expect(try project("/items/1") == #"{"items":[null,{"id":2,"result":"fail","note":"b"}]}"#)
    }

    @Test func nonIndexTokensSelectNothingInArrays() throws {
        #expect(try project("/items/result", "/items/-", "/items/01", "/items/9") == "{}")
    }

    @Test func pointersThatMatchNothingAreSkipped() throws {
        #expect(try project("/nope", "/score/deeper", "/licence_no") == #"{"licence_no":"L-1"}"#)
        #expect(try project("/nope") == "{}")
    }

    @Test func escapedTokensAndTheRootPointer() throws {
        #expect(try project("/a~1b/m~0n") == #"{"a/b":{"m~n":1}}"#)
        #expect(try project("") == Self.document.description)
        #expect(FieldProjection([JSONPointer(tokens: [])]).keepsEverything)
    }

    @Test func nonObjectRoots() throws {
        let array = try JSONValue.parse(#"[{"a":1},{"a":2,"b":3}]"#)
        #expect(FieldProjection(try [JSONPointer("/1/b")]).apply(to: array).description == #"[null,{"b":3}]"#)
        #expect(FieldProjection(try [JSONPointer("/x")]).apply(to: array).description == "[]")
        #expect(FieldProjection(try [JSONPointer("/x")]).apply(to: .string("s")) == .null)
    }
}
