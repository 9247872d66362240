import ExchangeModel
import Foundation
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
            ("  - {name: licences, time_zone: Mars/Olympus}", "licences", "registries[0].time_zone"),
            ("  - {name: licences, time_zone: '+8'}", "licences", "registries[0].time_zone"),
        ]
        for (registries, registry, key) in cases {
            let configuration = try TemporaryConfiguration(topics: Self.topics(registries: registries, registry: registry))
            let result = configuration.loader.load()
            #expect(result.set == nil, "\(registries) was accepted")
            #expect(result.report.allErrors.contains { $0.key == key }, "\(registries): \(result.report.allErrors.map(\.description))")
        }
    }

    @Test func aCollectionsCalendarIsInItsTimeZone() throws {
        let configuration = try TemporaryConfiguration(
            topics: Self.topics(registries: "  - {name: licences, valid_until: /valid_until, time_zone: '+08:00'}"))
        let set = try #require(configuration.loader.load().set)
        let collection = try #require(set.registryCollection(named: "licences"))
        // 2026-12-31T16:30Z is half past midnight on 1 January in UTC+8: the licence valid until
        // 31 December has expired there, though the day is still the 31st in UTC.
        let instant = try #require(ISO8601DateFormatter().date(from: "2026-12-31T16:30:00Z"))
        #expect(collection.day(of: instant) == "2027-01-01")
        #expect(RegistryCollection(name: "licences").day(of: instant) == "2026-12-31")
        #expect(RegistryCollection.timeZone(named: "-05:30")?.secondsFromGMT() == -19_800)
        #expect(RegistryCollection.timeZone(named: "UTC")?.secondsFromGMT() == 0)
        #expect(RegistryCollection.timeZone(named: "8") == nil)
        #expect(RegistryCollection.timeZone(named: "+14:00")?.secondsFromGMT() == 50_400)
        for malformed in ["+-3:00", "++1:00", "+01:-5", "+14:30", "+08:60", "+0800"] {
            #expect(RegistryCollection.timeZone(named: malformed) == nil, "\(malformed) was taken for a time zone")
        }
    }
}
