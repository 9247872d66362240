import ExchangeModel
import ExchangeRouting
import Testing

/// The `registries` list of topics.yaml and the collections topics feed.
@Suite struct RegistryConfigurationTests {
    static func topics(registries: String, registry: String = "licences") -> String {
        """
        registries:
        \(registries)
        topics:
          - name: licence.business.issued
            owner: msa
            key: /licence_no
            registry: \(registry)
          - name: licence.business.revoked
            owner: msa
            key: /licence_no
            registry: \(registry)
          - name: case.outcome.closed
            owner: psb
            key: /case_no
        """
    }

    @Test func declaredCollectionsCarryTheirPointers() throws {
        let configuration = try TemporaryConfiguration(
            topics: Self.topics(registries: "  - {name: licences, holder: /holder/credit_code, valid_until: /valid_until}"))
        let result = configuration.loader.load()
        #expect(result.report.allErrors.map(\.description) == [])
        let set = try #require(result.set)
        let collection = try #require(set.registryCollection(named: "licences"))
        #expect(collection.holder == (try JSONPointer("/holder/credit_code")))
        #expect(collection.type == nil)
        #expect(collection.validUntil == (try JSONPointer("/valid_until")))
        #expect(set.feedingTopics(of: "licences").map(\.rawValue) == ["licence.business.issued", "licence.business.revoked"])
        #expect(Set(set.registryFeeds.keys) == ["licence.business.issued", "licence.business.revoked"])
        #expect(set.registryCollection(named: "permits") == nil)
    }

    @Test func anUndeclaredNameIsACollectionWithoutIndexedFields() throws {
        let configuration = try TemporaryConfiguration(topics: TemporaryConfiguration.topics)
        let set = try #require(configuration.loader.load().set)
        #expect(set.registryCollection(named: "licences") == RegistryCollection(name: "licences"))
    }

    @Test func badDeclarationsAreRefusedAtTheirKey() throws {
        let cases: [(String, String, String)] = [
            ("  - {name: licences, holder: holder/credit_code}", "licences", "registries[0].holder"),
            ("  - {name: licences, colour: blue}", "licences", "registries[0].colour"),
            ("  - {name: 'lic ences'}", "licences", "registries[0].name"),
            ("  - {name: licences}\n  - {name: licences}", "licences", "registries[1].name"),
            ("  - {name: licences}", "'bad name'", "topics[0].registry"),
        ]
        for (registries, registry, key) in cases {
            let configuration = try TemporaryConfiguration(topics: Self.topics(registries: registries, registry: registry))
            let result = configuration.loader.load()
            #expect(result.set == nil, "\(registries) was accepted")
            #expect(result.report.allErrors.contains { $0.key == key }, "\(registries): \(result.report.allErrors.map(\.description))")
        }
    }
}
