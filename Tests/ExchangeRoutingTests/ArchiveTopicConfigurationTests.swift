import ExchangeModel
import Foundation
import Testing

@testable import ExchangeRouting

/// `archive: true` in `topics.yaml`: read as a boolean, anything else refused with its place.
@Suite struct ArchiveTopicConfigurationTests {
    static func load(_ archive: String) throws -> (topics: [TopicDefinition]?, errors: [ConfigurationError]) {
        let directory = NSTemporaryDirectory() + "exchange-archive-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        topics:
          - name: licence.business.issued
            owner: msa
            key: /licence_no
            retention: {max_events: 10}
        \(archive)
          - name: licence.business.revoked
            owner: msa
            key: /licence_no

        """.write(toFile: directory + "/topics.yaml", atomically: true, encoding: .utf8)
        var errors: [ConfigurationError] = []
        let department = Department(id: DepartmentID("msa")!, name: "msa", certificate: CertificateIdentity(subjectCommonName: "msa.example"))
        let topics = ConfigurationLoader(directory: directory).loadTopics(directory + "/topics.yaml", departments: [department], errors: &errors)
        return (topics, errors)
    }

    @Test func archiveTrueIsReadAndOtherTopicsDoNotArchive() throws {
        let loaded = try Self.load("    archive: true")
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        #expect(loaded.topics?.map(\.archive) == [true, false])
    }

    @Test func anArchiveThatIsNotABooleanIsRefused() throws {
        let loaded = try Self.load("    archive: sometimes")
        #expect(loaded.topics == nil)
        #expect(loaded.errors.contains { "\($0)".contains("archive") && "\($0)".contains("true or false") }, "\(loaded.errors)")
    }
}
