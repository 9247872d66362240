import ExchangeModel
import ExchangeRouting
import Testing

@Suite struct ContentPatternTests {
    static let data = #"""
        {"city":"Hangzhou","score":92,"ratio":0.5,"active":true,"note":null,"code":"JY-330-01",
         "tags":["food","cold-chain"],"holder":{"name":"Acme Ltd","kind":"company","staff":12},
         "findings":[{"item":"storage","ok":false},{"item":"hygiene","ok":true}]}
        """#

    func matches(_ pattern: String, data: String = data, envelope: Envelope = Fixture.event()) throws -> Bool {
        let pattern = try Fixture.pattern(pattern)
        var event = envelope
        event.data = Array(data.utf8)
        return pattern.matches(event, data: try? JSONValue.parse(data))
    }

    @Test(arguments: [
        (#"{"data":{"city":["Hangzhou"]}}"#, true),
        (#"{"data":{"city":["Ningbo","Hangzhou"]}}"#, true),
        (#"{"data":{"city":["hangzhou"]}}"#, false),
        (#"{"data":{"score":[92]}}"#, true),
        (#"{"data":{"score":[92.0]}}"#, true),
        (#"{"data":{"score":["92"]}}"#, false),
        (#"{"data":{"active":[true]}}"#, true),
        (#"{"data":{"active":[false]}}"#, false),
        (#"{"data":{"note":[null]}}"#, true),
        (#"{"data":{"note":[""]}}"#, false),
        (#"{"data":{"city":[null]}}"#, false),
    ])
    func exactValues(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"data":{"code":[{"prefix":"JY-"}]}}"#, true),
        (#"{"data":{"code":[{"prefix":"JY-331"}]}}"#, false),
        (#"{"data":{"code":[{"suffix":"-01"}]}}"#, true),
        (#"{"data":{"code":[{"suffix":"-02"}]}}"#, false),
        (#"{"data":{"score":[{"prefix":"9"}]}}"#, false),
        (#"{"data":{"missing":[{"prefix":"J"}]}}"#, false),
    ])
    func prefixAndSuffix(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"data":{"city":[{"anything-but":"Ningbo"}]}}"#, true),
        (#"{"data":{"city":[{"anything-but":["Ningbo","Hangzhou"]}]}}"#, false),
        (#"{"data":{"score":[{"anything-but":[92]}]}}"#, false),
        (#"{"data":{"score":[{"anything-but":[91, 93]}]}}"#, true),
        (#"{"data":{"code":[{"anything-but":{"prefix":"JY-"}}]}}"#, false),
        (#"{"data":{"code":[{"anything-but":{"prefix":"SP-"}}]}}"#, true),
        (#"{"data":{"code":[{"anything-but":{"suffix":"-01"}}]}}"#, false),
        (#"{"data":{"missing":[{"anything-but":"x"}]}}"#, false),
        (#"{"data":{"tags":[{"anything-but":"food"}]}}"#, true),
        (#"{"data":{"tags":[{"anything-but":["food","cold-chain"]}]}}"#, false),
    ])
    func anythingBut(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"data":{"score":[{"numeric":[">",90]}]}}"#, true),
        (#"{"data":{"score":[{"numeric":[">",92]}]}}"#, false),
        (#"{"data":{"score":[{"numeric":[">=",92]}]}}"#, true),
        (#"{"data":{"score":[{"numeric":["<",92]}]}}"#, false),
        (#"{"data":{"score":[{"numeric":["<=",92]}]}}"#, true),
        (#"{"data":{"score":[{"numeric":["=",92]}]}}"#, true),
        (#"{"data":{"score":[{"numeric":["=",92.5]}]}}"#, false),
        (#"{"data":{"score":[{"numeric":[">=",0,"<",92]}]}}"#, false),
        (#"{"data":{"score":[{"numeric":[">",0,"<=",92]}]}}"#, true),
        (#"{"data":{"score":[{"numeric":["<=",100,">",91]}]}}"#, true),
        (#"{"data":{"ratio":[{"numeric":[">",0.25,"<",0.75]}]}}"#, true),
        (#"{"data":{"code":[{"numeric":[">",0]}]}}"#, false),
        (#"{"data":{"missing":[{"numeric":[">",0]}]}}"#, false),
    ])
    func numericRanges(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"data":{"city":[{"exists":true}]}}"#, true),
        (#"{"data":{"city":[{"exists":false}]}}"#, false),
        (#"{"data":{"missing":[{"exists":false}]}}"#, true),
        (#"{"data":{"missing":[{"exists":true}]}}"#, false),
        (#"{"data":{"note":[{"exists":true}]}}"#, true),
        (#"{"data":{"holder":{"name":[{"exists":true}]}}}"#, true),
        (#"{"data":{"nothing":{"name":[{"exists":false}]}}}"#, true),
        (#"{"subject":[{"exists":true}]}"#, true),
        (#"{"dataschema":[{"exists":false}]}"#, true),
    ])
    func exists(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"data":{"holder":{"kind":["company"],"staff":[{"numeric":[">=",10]}]}}}"#, true),
        (#"{"data":{"holder":{"kind":["company"],"staff":[{"numeric":[">=",20]}]}}}"#, false),
        (#"{"data":{"findings":{"item":["hygiene"],"ok":[true]}}}"#, true),
        (#"{"data":{"findings":{"item":["storage"],"ok":[true]}}}"#, false),
        (#"{"data":{"tags":["cold-chain"]}}"#, true),
        (#"{"data":{"city":["Hangzhou"],"score":[{"numeric":["<",60]}]}}"#, false),
    ])
    func nestedObjectsArraysAndConjunction(_ pattern: String, _ expected: Bool) throws {
        #expect(try matches(pattern) == expected)
    }

    @Test(arguments: [
        (#"{"type":["licence.issued"]}"#, true),
        (#"{"type":[{"prefix":"licence."}]}"#, true),
        (#"{"type":[{"anything-but":"licence.issued"}]}"#, false),
        (#"{"source":["msa"],"topic":[{"suffix":".issued"}]}"#, true),
        (#"{"subject":["L-2"]}"#, false),
        (#"{"region":["east"]}"#, true),
        (#"{"region":["west"]}"#, false),
        (#"{"type":["licence.issued"],"data":{"city":["Ningbo"]}}"#, false),
    ])
    func envelopeAttributes(_ pattern: String, _ expected: Bool) throws {
        let envelope = Fixture.event(extensions: ["region": "east"])
        #expect(try matches(pattern, envelope: envelope) == expected)
    }

    @Test func dataPatternNeverMatchesDataThatIsNotJSON() throws {
        let pattern = try Fixture.pattern(#"{"data":{"x":[{"exists":false}]}}"#)
        #expect(pattern.inspectsData)
        #expect(!pattern.matches(Fixture.event(data: "not json"), data: nil))
        let attributesOnly = try Fixture.pattern(#"{"type":["licence.issued"]}"#)
        #expect(!attributesOnly.inspectsData)
        #expect(attributesOnly.matches(Fixture.event(data: "not json"), data: nil))
    }

    @Test(arguments: [
        (#"[]"#, "", "must be an object"),
        (#"{}"#, "", "at least one"),
        (#"{"data":["x"]}"#, "data", "nested pattern"),
        (#"{"data":{}}"#, "data", "empty object"),
        (#"{"data":{"city":"Hangzhou"}}"#, "data.city", "list of matchers"),
        (#"{"data":{"city":[]}}"#, "data.city", "empty list"),
        (#"{"data":{"city":[["a"]]}}"#, "data.city[0]", "nested list"),
        (#"{"data":{"city":[{"wildcard":"a*"}]}}"#, "data.city[0]", "unknown operator 'wildcard'"),
        (#"{"data":{"city":[{"prefix":"a","suffix":"b"}]}}"#, "data.city[0]", "exactly one operator"),
        (#"{"data":{"city":[{"prefix":1}]}}"#, "data.city[0].prefix", "needs a string"),
        (#"{"data":{"city":[{"prefix":""}]}}"#, "data.city[0].prefix", "matches every string"),
        (#"{"data":{"n":[{"numeric":[">"]}]}}"#, "data.n[0].numeric", "operator, number"),
        (#"{"data":{"n":[{"numeric":["~",1]}]}}"#, "data.n[0].numeric[0]", "unknown numeric operator"),
        (#"{"data":{"n":[{"numeric":[">","1"]}]}}"#, "data.n[0].numeric[1]", "finite number"),
        (#"{"data":{"n":[{"numeric":[">",1,">=",2]}]}}"#, "data.n[0].numeric[2]", "two lower bounds"),
        (#"{"data":{"n":[{"numeric":[">",5,"<",5]}]}}"#, "data.n[0].numeric", "range is empty"),
        (#"{"data":{"n":[{"numeric":["=",5,"<",6]}]}}"#, "data.n[0].numeric[0]", "cannot be combined"),
        (#"{"data":{"n":[{"exists":"yes"}]}}"#, "data.n[0].exists", "true or false"),
        (#"{"data":{"n":[{"anything-but":[]}]}}"#, "data.n[0].anything-but", "at least one"),
        (#"{"data":{"n":[{"anything-but":[true]}]}}"#, "data.n[0].anything-but[0]", "strings or numbers"),
        (#"{"data":{"n":[{"anything-but":{"exists":true}}]}}"#, "data.n[0].anything-but", "prefix"),
        (#"{"type":"licence.issued"}"#, "type", "list of matchers"),
        (#"{"type":[42]}"#, "type[0]", "is text"),
        (#"{"subject":[{"numeric":[">",1]}]}"#, "subject[0]", "is text"),
        (#"{"Type":["x"]}"#, "Type", "not an envelope attribute"),
    ])
    func refusesInvalidPatterns(_ text: String, _ path: String, _ fragment: String) throws {
        let source = try JSONValue.parse(text)
        do {
            _ = try ContentPattern(source)
            Issue.record("pattern \(text) was accepted")
        } catch {
            #expect(error.path == path)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func refusesPatternsNestedTooDeep() throws {
        var text = #"["x"]"#
        for _ in 0..<(ContentPattern.maximumDepth + 1) { text = #"{"a":\#(text)}"# }
        #expect(throws: ContentPatternError.self) { try ContentPattern(JSONValue.parse(#"{"data":\#(text)}"#)) }
    }
}
