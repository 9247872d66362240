import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// A configuration directory written at test time and removed afterwards.
final class TemporaryConfiguration {
    let path: String

    init(departments: String = TemporaryConfiguration.departments, topics: String = TemporaryConfiguration.topics, agreements: [String: String] = [:]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("exchange-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/agreements", withIntermediateDirectories: true)
        try write("departments.yaml", departments)
        try write("topics.yaml", topics)
        for (name, text) in agreements { try write("agreements/" + name, text) }
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + name)
    }

    var loader: ConfigurationLoader { ConfigurationLoader(directory: path) }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    static let departments = """
        departments:
          - id: msa
            name: Market Regulation
            certificate: {subject_cn: msa.example}
          - id: tax
            name: Tax Bureau
            certificate: {subject_cn: tax.example}
          - id: psb
            name: Public Security
            certificate: {subject_cn: psb.example}
        """

    static let topics = """
        topics:
          - name: licence.business.issued
            owner: msa
            key: /licence_no
            registry: licences
            schema:
              type: object
              required: [licence_no]
          - name: case.outcome.closed
            owner: psb
            key: /case_no
        """

    static func agreement(id: String = "a1", version: Int = 1, extra: String = "", topics: String = "[licence.business.>]", status: String = "active") -> String {
        """
        id: \(id)
        version: \(version)
        title: Test agreement
        provider: msa
        consumers: [tax]
        topics: \(topics)
        purpose: testing
        legal_basis: none
        valid_from: 2026-01-01T00:00:00+08:00
        status: \(status)
        \(extra)
        """
    }
}

@Suite struct ConfigurationLoaderTests {
    static let configDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config").path

    @Test func loadsTheExampleConfiguration() throws {
        let result = ConfigurationLoader(directory: Self.configDirectory).load()
        #expect(result.report.allErrors.map(\.description) == [])
        let set = try #require(result.set)
        #expect(set.agreements.map(\.id) == ["msa-business-licences", "msa-licence-portal", "nhc-food-inspections", "psb-case-outcomes"])
        #expect(result.report.added.count == 4)
        #expect(set.topic("licence.business.issued")?.registry == "licences")
        #expect(set.topic("licence.business.revoked")?.collection?.holder?.description == "/holder/credit_code")
        #expect(set.registryFeeds.count == 6)
        #expect(set.topic("licence.business.issued")?.schema?["required"] == .array(["licence_no", "holder", "issued_on"].map(JSONValue.string)))
        let inspections = try #require(set.agreement("nhc-food-inspections"))
        #expect(inspections.validFrom == Date(timeIntervalSince1970: 1_780_243_200))  // 2026-06-01T00:00:00+08:00
        #expect(inspections.match?.inspectsData == true)
    }

    @Test func theExampleFoodInspectionReachesTheMarketRegulatorProjected() throws {
        let set = try #require(ConfigurationLoader(directory: Self.configDirectory).load().set)
        let text = try String(contentsOfFile: Self.configDirectory + "/events/food-inspection.json", encoding: .utf8)
        let json = try JSONValue.parse(text)
        let event = Envelope(
            id: json["id"]!.stringValue!, source: "health-commission", type: json["type"]!.stringValue!,
            topic: json["topic"]!.stringValue!, data: json["data"]!.serialized())
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let result = set.route(event, from: DepartmentID("health-commission")!, at: at)
        #expect(result.routes.map(\.description) == ["market-regulation via nhc-food-inspections v1"])
        let delivery = try #require(set.recheck(result.routes[0], envelope: event, at: at).delivery)
        let seen = try JSONValue.parse(delivery.data)
        #expect(seen["inspector"] == nil)
        #expect(seen["city"] == .string("Hangzhou"))
        var elsewhere = event
        elsewhere.data = Array(#"{"city":"Wenzhou","score":90}"#.utf8)
        #expect(set.route(elsewhere, from: DepartmentID("health-commission")!, at: at).routes.isEmpty)
    }

    func errors(agreement text: String, file: String = "bad.yaml") throws -> [ConfigurationError] {
        let config = try TemporaryConfiguration(agreements: [file: text])
        let report = config.loader.load().report
        #expect(report.isApplied)
        return report.refused.flatMap(\.errors)
    }

    @Test func refusesTopicPatternsTheProviderDoesNotOwn() throws {
        let errors = try errors(agreement: TemporaryConfiguration.agreement(topics: "\n  - licence.business.issued\n  - case.outcome.*"))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.code == .topicNotOwned)
        #expect(error.file?.hasSuffix("/agreements/bad.yaml") == true)
        #expect(error.key == "topics[1]")
        #expect(error.line == 8)
        #expect(error.message.contains("'case.outcome.closed'") && error.message.contains("'psb'"))
        #expect(error.description.contains("bad.yaml:8:5: topics[1]: "))
    }

    @Test func refusesTopicPatternsThatMatchNothing() throws {
        let error = try #require(try errors(agreement: TemporaryConfiguration.agreement(topics: "[licence.food.>]")).first)
        #expect(error.code == .patternMatchesNothing)
        #expect(error.key == "topics[0]")
        #expect(error.line == 6)
    }

    @Test func placesPatternErrorsAtTheirKey() throws {
        let text = TemporaryConfiguration.agreement(extra: """
            match:
              data:
                city: [Hangzhou]
                score: [{numeric: [">", 10, "<", 5]}]
            """)
        let error = try #require(try errors(agreement: text).first)
        #expect(error.code == .invalidPattern)
        #expect(error.key == "match.data.score[0].numeric")
        #expect(error.line == 14)
        #expect(error.message.contains("range is empty"))
    }

    @Test func refusesMalformedPointersUnknownKeysAndBadValues() throws {
        let text = TemporaryConfiguration.agreement(extra: """
            fields: [/licence_no, holder/name]
            valid_untill: 2027-01-01
            """, status: "paused")
        let errors = try errors(agreement: text)
        let byKey = Dictionary(errors.map { ($0.key ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["fields[1]"]?.code == .malformedPointer)
        #expect(byKey["fields[1]"]?.line == 11)
        #expect(byKey["valid_untill"]?.code == .unknownKey)
        #expect(byKey["valid_untill"]?.line == 12)
        #expect(byKey["status"]?.code == .invalidValue)
        #expect(byKey["status"]?.line == 10)
    }

    @Test func reportsMissingKeysAndWrongTypes() throws {
        let text = """
            id: a1
            version: one
            provider: msa
            consumers: tax
            topics: [licence.business.>]
            """
        let errors = try errors(agreement: text)
        let keys = Set(errors.map { $0.key ?? "" })
        #expect(keys.isSuperset(of: ["version", "consumers", "title", "purpose", "legal_basis", "valid_from", "status"]))
        #expect(errors.first { $0.key == "version" }?.code == .wrongType)
        #expect(errors.first { $0.key == "title" }?.code == .missingKey)
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirLine() throws {
        let error = try #require(try errors(agreement: "id: a1\nconsumers: [tax\ntitle: x\n").first)
        #expect(error.code == .yamlSyntax)
        #expect(error.line != nil)
    }

    @Test func refusesUnknownDepartmentsAndWindowsThatEndBeforeTheyStart() throws {
        let text = TemporaryConfiguration.agreement(extra: "valid_until: 2025-12-31").replacingOccurrences(of: "consumers: [tax]", with: "consumers: [tax, ghost]")
        let errors = try errors(agreement: text)
        #expect(errors.contains { $0.key == "consumers[1]" && $0.code == .unknownDepartment && $0.line == 5 })
        #expect(errors.contains { $0.key == "valid_until" && $0.code == .invalidValue && $0.line == 11 })
    }

    @Test func departmentOrTopicErrorsRefuseTheWholeLoad() throws {
        let config = try TemporaryConfiguration(topics: """
            topics:
              - name: licence.business.issued
                owner: msa
                key: /licence_no
              - name: licence.*.bad
                owner: nobody
                key: licence_no
            """)
        let report = config.loader.load().report
        #expect(!report.isApplied)
        let byKey = Dictionary(report.errors.map { ($0.key ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["topics[1].name"]?.line == 5)
        #expect(byKey["topics[1].key"]?.code == .malformedPointer)
        #expect(byKey["topics[1].key"]?.line == 7)

        let departments = try TemporaryConfiguration(departments: """
            departments:
              - id: msa
                name: A
                certificate: {subject_cn: a.example}
              - id: msa
                name: B
                certificate: {sha256: [nothex]}
                roles: [department, superuser]
            """)
        let errors = departments.loader.load().report.errors
        #expect(errors.contains { $0.key == "departments[1].certificate.sha256[0]" && $0.line == 7 })
        #expect(errors.contains { $0.key == "departments[1].roles[1]" && $0.message.contains("superuser") })
    }

    @Test func duplicateAgreementIDsAreRefusedInEveryFile() throws {
        let config = try TemporaryConfiguration(agreements: ["one.yaml": TemporaryConfiguration.agreement(), "two.yaml": TemporaryConfiguration.agreement()])
        let result = config.loader.load()
        #expect(result.set?.agreements.isEmpty == true)
        #expect(result.report.refused.count == 2)
        #expect(result.report.refused.allSatisfy { $0.errors.first?.code == .duplicate })
    }

    @Test func reloadReportsAddedChangedRemovedAndRefused() throws {
        let config = try TemporaryConfiguration(agreements: [
            "a1.yaml": TemporaryConfiguration.agreement(id: "a1"),
            "a2.yaml": TemporaryConfiguration.agreement(id: "a2"),
            "a3.yaml": TemporaryConfiguration.agreement(id: "a3"),
        ])
        let registry = AgreementRegistry(loader: config.loader)
        let first = registry.reload()
        #expect(first.isClean)
        #expect(first.added.map(\.description) == ["a1 v1", "a2 v1", "a3 v1"])

        try config.write("agreements/a1.yaml", TemporaryConfiguration.agreement(id: "a1", status: "revoked"))
        try config.write("agreements/a2.yaml", TemporaryConfiguration.agreement(id: "a2", topics: "[licence.business.issued]"))
        try config.remove("agreements/a3.yaml")
        try config.write("agreements/a4.yaml", TemporaryConfiguration.agreement(id: "a4", version: 2))
        let second = registry.reload()
        #expect(second.isApplied)
        #expect(second.added.map(\.description) == ["a4 v2"])
        #expect(second.changed.map(\.description) == ["a1 v1 -> v1 (active -> revoked)"])
        #expect(Set(second.removed.map(\.description)) == ["a2 v1", "a3 v1"])
        #expect(second.refused.map(\.id) == ["a2"])
        #expect(second.refused.first?.errors.first?.code == .versionNotIncreased)
        #expect(registry.current.agreement("a1")?.status == .revoked)
        #expect(registry.current.agreement("a2") == nil)

        // Withdrawn or not, a2's last terms were v1 with the wider pattern: the same version with
        // other terms stays refused.
        let again = registry.reload()
        #expect(again.refused.map(\.id) == ["a2"])
        #expect(again.refused.first?.errors.first?.code == .versionNotIncreased)
        try config.remove("agreements/a2.yaml")
        registry.reload()
        #expect(registry.reload().refused.isEmpty)
        try config.write("agreements/a2.yaml", TemporaryConfiguration.agreement(id: "a2", topics: "[licence.business.issued]"))
        #expect(registry.reload().refused.first?.errors.first?.code == .versionNotIncreased)

        try config.write("agreements/a2.yaml", TemporaryConfiguration.agreement(id: "a2", version: 2, topics: "[licence.business.issued]"))
        let third = registry.reload()
        #expect(third.added.map(\.description) == ["a2 v2"])
        #expect(third.isClean)
    }

    @Test func aRefusedLoadKeepsTheCurrentSet() throws {
        let config = try TemporaryConfiguration(agreements: ["a1.yaml": TemporaryConfiguration.agreement()])
        let registry = AgreementRegistry(loader: config.loader)
        registry.reload()
        try config.write("departments.yaml", "departments: {}")
        let report = registry.reload()
        #expect(!report.isApplied)
        #expect(report.errors.first?.code == .wrongType)
        #expect(registry.current.agreement("a1") != nil)
    }

    @Test func replaceSwapsASetBuiltInCode() throws {
        let registry = AgreementRegistry()
        #expect(registry.current.agreements.isEmpty)
        let report = registry.replace(with: try Fixture.set(Fixture.agreement("x")))
        #expect(report.added.map(\.id) == ["x"])
        #expect(!registry.current.route(Fixture.event(), from: Fixture.dept("msa"), at: Fixture.now).routes.isEmpty)
    }

    @Test func agreementsBuiltInCodeAreValidatedToo() {
        do {
            _ = try Fixture.set(Fixture.agreement("a", consumers: ["msa"]), Fixture.agreement("a", topics: ["case.>"]))
            Issue.record("invalid agreements accepted")
        } catch let error as ConfigurationErrors {
            let keys = error.errors.map { $0.key ?? "" }
            #expect(keys.contains("agreements[0].consumers[0]"))
            #expect(keys.contains("agreements[1].id"))
            #expect(keys.contains("agreements[1].topics[0]"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
