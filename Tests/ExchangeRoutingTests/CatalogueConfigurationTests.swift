import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// The catalogue metadata of topics: read and checked at load, and topics not shared kept out
/// of agreements.
@Suite struct CatalogueConfigurationTests {
    static func topics(_ catalogue: String) -> String {
        """
        topics:
          - name: licence.business.issued
            owner: msa
            key: /licence_no
            catalogue:
        \(catalogue.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
          - name: case.outcome.closed
            owner: psb
            key: /case_no
        """
    }

    static let complete = """
        resource_code: 302100000000/000123
        name: 营业执照颁发信息
        provider: 市场监督管理局
        summary: 营业执照的颁发
        format: json
        data_items:
          - {name: 执照编号, pointer: /licence_no, type: string}
          - {name: 颁发日期, pointer: /issued_on, type: date}
        sharing_type: 有条件共享
        sharing_conditions: 仅用于税务登记
        update_cycle: 实时
        publication_date: 2026-01-15
        """

    @Test func aCompleteEntryIsRead() throws {
        let config = try TemporaryConfiguration(topics: Self.topics(Self.complete))
        let set = try #require(config.loader.load().set)
        let entry = try #require(set.topic("licence.business.issued")?.catalogue)
        #expect(entry.resourceCode == "302100000000/000123")
        #expect(entry.name == "营业执照颁发信息")
        #expect(entry.provider == "市场监督管理局")
        #expect(entry.format == .json)
        let items = [
            CatalogueEntry.DataItem(name: "执照编号", pointer: try JSONPointer("/licence_no"), type: .string),
            CatalogueEntry.DataItem(name: "颁发日期", pointer: try JSONPointer("/issued_on"), type: .date),
        ]
        #expect(entry.dataItems == items)
        #expect(entry.sharingType == .conditional)
        #expect(entry.sharingConditions == "仅用于税务登记")
        #expect(entry.updateCycle == .realTime)
        #expect(entry.publicationDate == "2026-01-15")
        #expect(set.topic("case.outcome.closed")?.catalogue == nil)
    }

    @Test(arguments: [
        ("resource_code: 'bad code!'\nname: n\nsharing_type: unconditional", "resource_code", "is not a resource code"),
        ("resource_code: A1\nname: n\nsharing_type: sometimes", "sharing_type", "unknown sharing_type 'sometimes'"),
        ("resource_code: A1\nname: n\nsharing_type: conditional", "sharing_conditions", "needs sharing_conditions"),
        ("resource_code: A1\nname: n\nsharing_type: unconditional\nupdate_cycle: hourly", "update_cycle", "unknown update_cycle 'hourly'"),
        ("resource_code: A1\nname: n\nsharing_type: unconditional\nformat: pdfx", "format", "unknown format 'pdfx'"),
        ("resource_code: A1\nname: n\nsharing_type: unconditional\npublication_date: 2026-02-30", "publication_date", "is not a date"),
        ("resource_code: A1\nsharing_type: unconditional", "name", "needs 'name'"),
        ("resource_code: A1\nname: n\nsharing_type: unconditional\nowner: x", "owner", "unknown key 'owner'"),
        ("resource_code: A1\nname: n\nsharing_type: unconditional\ndata_items: [{name: x, type: money}]", "data_items[0].type", "unknown data item type 'money'"),
    ])
    func badValuesAreRefusedNamingTheTopicAndKey(catalogue: String, key: String, message: String) throws {
        let config = try TemporaryConfiguration(topics: Self.topics(catalogue))
        let report = config.loader.load().report
        #expect(!report.isApplied)
        let error = try #require(report.errors.first { $0.key == "topics[0].catalogue.\(key)" }, "\(report.errors)")
        #expect(error.message.contains(message), "\(error)")
        if error.code != .unknownKey { #expect(error.message.contains("licence.business.issued"), "\(error)") }
        #expect(error.line != nil)
    }

    @Test func resourceCodesAreUnique() throws {
        let config = try TemporaryConfiguration(topics: """
            topics:
              - name: licence.business.issued
                owner: msa
                key: /licence_no
                catalogue: {resource_code: A1, name: one, sharing_type: unconditional}
              - name: case.outcome.closed
                owner: psb
                key: /case_no
                catalogue: {resource_code: A1, name: two, sharing_type: unconditional}
            """)
        let report = config.loader.load().report
        #expect(!report.isApplied)
        #expect(report.errors.contains { $0.code == .duplicate && $0.key == "topics[1].catalogue.resource_code" && $0.message.contains("licence.business.issued") })
    }

    @Test func anAgreementOverATopicNotSharedIsRefused() throws {
        let notShared = "resource_code: A1\nname: n\nsharing_type: 不予共享\nsharing_conditions: 涉及国家秘密"
        let config = try TemporaryConfiguration(
            topics: Self.topics(notShared),
            agreements: ["a1.yaml": TemporaryConfiguration.agreement(id: "a1", topics: "[licence.>]")])
        let result = config.loader.load()
        #expect(result.set?.agreements.isEmpty == true)
        let error = try #require(result.report.refused.first?.errors.first)
        #expect(error.code == .topicNotShared)
        #expect(error.key == "topics[0]")
        #expect(error.message.contains("licence.business.issued") && error.message.contains("不予共享"))
        #expect(error.line == 6)

        // The same agreement over a topic shared on conditions is in force.
        let shared = try TemporaryConfiguration(
            topics: Self.topics("resource_code: A1\nname: n\nsharing_type: conditional\nsharing_conditions: c"),
            agreements: ["a1.yaml": TemporaryConfiguration.agreement(id: "a1", topics: "[licence.>]")])
        #expect(shared.loader.load().set?.agreements.map(\.id) == ["a1"])
    }

    @Test func theExampleConfigurationCarriesCatalogueEntries() throws {
        let set = try #require(ConfigurationLoader(directory: ConfigurationLoaderTests.configDirectory).load().set)
        let entries = set.topics.compactMap { topic in topic.catalogue.map { (topic.name.rawValue, $0) } }
        #expect(entries.map(\.0) == ["case.outcome.closed", "inspection.food.completed", "licence.business.issued"])
        #expect(entries.map(\.1.sharingType) == [.conditional, .unconditional, .conditional])
    }
}
