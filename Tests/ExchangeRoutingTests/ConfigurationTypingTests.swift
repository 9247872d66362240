import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

@Suite struct ConfigurationTypingTests {
    func match(_ yaml: String) throws -> ContentPattern {
        let config = try TemporaryConfiguration(agreements: ["a.yaml": TemporaryConfiguration.agreement(extra: "match:\n" + yaml)])
        let result = config.loader.load()
        #expect(result.report.allErrors == [])
        return try #require(result.set?.agreement("a1")?.match)
    }

    @Test func yamlScalarsFollowTheCoreSchemaInPatterns() throws {
        let pattern = try match("""
              data:
                country: [NO, on]
                code: ["92"]
                score: [92, 1.5]
                flag: [true]
                note: [null, ~]
            """)
        #expect(pattern.source["data"]?["country"] == .array([.string("NO"), .string("on")]))
        #expect(pattern.source["data"]?["code"] == .array([.string("92")]))
        #expect(pattern.source["data"]?["score"] == .array([.number(JSONNumber(92)), .number(JSONNumber("1.5")!)]))
        #expect(pattern.source["data"]?["flag"] == .array([.bool(true)]))
        #expect(pattern.source["data"]?["note"] == .array([.null, .null]))
        let event = Fixture.event()
        #expect(pattern.matches(event, data: try JSONValue.parse(#"{"country":"NO","code":"92","score":1.5,"flag":true,"note":null}"#)))
        #expect(!pattern.matches(event, data: try JSONValue.parse(#"{"country":"NO","code":92,"score":1.5,"flag":true,"note":null}"#)))
    }

    @Test func providersAndConsumersNeedRolesThatLetThemTakePart() throws {
        var auditor = Fixture.department("audit")
        auditor.roles = [.auditor]
        do {
            _ = try AgreementSet(
                departments: Fixture.departments + [auditor], topics: Fixture.topics,
                agreements: [Fixture.agreement("a", consumers: ["tax", "audit"])])
            Issue.record("an auditor was accepted as consumer")
        } catch {
            #expect(error.errors.map(\.key) == ["agreements[0].consumers[1]"])
        }
    }
}
