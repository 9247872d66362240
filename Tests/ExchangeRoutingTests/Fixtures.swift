import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// Values shared by the routing tests.
enum Fixture {
    static func department(_ id: String) -> Department {
        Department(id: DepartmentID(id)!, name: id, certificate: CertificateIdentity(subjectCommonName: "\(id).example"))
    }

    static func dept(_ id: String) -> DepartmentID { DepartmentID(id)! }

    static func topic(_ name: String, owner: String) -> TopicDefinition {
        TopicDefinition(name: Topic(name)!, owner: DepartmentID(owner)!)
    }

    static func pattern(_ text: String) throws -> ContentPattern {
        try ContentPattern(JSONValue.parse(text))
    }

    static func pointers(_ texts: String...) throws -> [JSONPointer] {
        try texts.map { try JSONPointer($0) }
    }

    static let departments = ["msa", "tax", "portal", "psb", "court", "nhc"].map(department)

    static let topics = [
        topic("licence.business.issued", owner: "msa"),
        topic("licence.business.revoked", owner: "msa"),
        topic("licence.food.issued", owner: "msa"),
        topic("case.outcome.closed", owner: "psb"),
        topic("inspection.food.completed", owner: "nhc"),
    ]

    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func agreement(
        _ id: String, provider: String = "msa", consumers: [String] = ["tax"], topics: [String] = ["licence.business.>"],
        fields: [JSONPointer]? = nil, match: ContentPattern? = nil, from: Date = start, until: Date? = nil,
        status: Agreement.Status = .active, version: Int = 1
    ) -> Agreement {
        Agreement(
            id: id, version: version, provider: dept(provider), consumers: consumers.map(dept),
            topics: topics.map { TopicPattern($0)! }, fields: fields, match: match, purpose: "test",
            legalBasis: "test", validFrom: from, validUntil: until, status: status)
    }

    static func set(_ agreements: Agreement...) throws -> AgreementSet {
        try AgreementSet(departments: departments, topics: topics, agreements: agreements)
    }

    static func event(
        topic: String = "licence.business.issued", source: String = "msa", type: String = "licence.issued",
        subject: String? = "L-1", extensions: [String: String] = [:], data: String = #"{"licence_no":"L-1"}"#
    ) -> Envelope {
        Envelope(
            id: "e-1", source: source, type: type, topic: topic, subject: subject, extensions: extensions,
            data: Array(data.utf8))
    }

    static let now = start.addingTimeInterval(86_400)
}
