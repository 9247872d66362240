import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import ExchangeWire
import Foundation
import Hummingbird

extension ExchangeRoutes {
    // MARK: Register of agreements and catalogue

    /// The roles that may read the register of agreements: administration and audit.
    static let agreementReaders: Set<Role> = [.admin, .auditor]
    /// The roles that may read the catalogue: every authenticated caller, since the catalogue
    /// is what departments and the portal consult to know what may be asked for; but the
    /// operator, whose token takes backups and nothing else.
    static let catalogueReaders: Set<Role> = Set(Role.allCases).subtracting([.operator])

    /// `GET /v1/agreements`: the register of agreements (admin, auditor).
    @Sendable func listAgreements(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try context.requireRole(in: Self.agreementReaders)
        let now = Date()
        let entries = try exchange.agreementRegister(at: now)
        var writer = JSONWriter(capacity: 256 + entries.count * 1024)
        writer.beginObject()
        writer.member("as_of", string: Exchange.instant(now))
        writer.member("count", integer: entries.count)
        writer.beginObject(named: "by_status")
        for standing in Agreement.Standing.allCases {
            writer.member(standing.rawValue, integer: entries.count { $0.standing == standing })
        }
        writer.endObject()
        writer.beginArray(named: "agreements")
        for entry in entries { Self.write(entry, into: &writer) }
        writer.endArray()
        writer.endObject()
        return Self.jsonResponse(writer.bytes)
    }

    /// `GET /v1/agreements/{id}`: one agreement of the register (admin, auditor).
    @Sendable func showAgreement(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try context.requireRole(in: Self.agreementReaders)
        let id = try context.parameters.require("id")
        guard Agreement.isValidID(id) else {
            throw ProblemError(
                .agreementInvalidID,
                detail: "\"\(AuditEvent.bounded(id))\" is not an agreement id: 1 to 128 ASCII letters, digits, '-', '_', '.'")
        }
        let now = Date()
        guard let entry = try exchange.agreementRegister(at: now).first(where: { $0.agreement.id == id }) else {
            throw ProblemError(.agreementNotFound, detail: "no agreement '\(id)' is in the configuration in force")
        }
        var writer = JSONWriter(capacity: 2048)
        Self.write(entry, into: &writer)
        return Self.jsonResponse(writer.bytes)
    }

    /// `GET /v1/catalogue`: the topics that carry catalogue metadata (every role).
    @Sendable func catalogue(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try context.requireRole(in: Self.catalogueReaders)
        let set = exchange.agreements.current
        let entries = set.topics.compactMap { topic in topic.catalogue.map { (topic, $0) } }
        var writer = JSONWriter(capacity: 256 + entries.count * 1024)
        writer.beginObject()
        writer.member("count", integer: entries.count)
        writer.beginArray(named: "resources")
        for (topic, entry) in entries {
            writer.beginObject()
            writer.member("resource_code", string: entry.resourceCode)
            writer.member("name", string: entry.name)
            writer.member("topic", string: topic.name.rawValue)
            writer.member("owner", string: topic.owner.rawValue)
            writer.member("provider", string: entry.provider ?? set.department(topic.owner)?.name ?? topic.owner.rawValue)
            if let summary = entry.summary { writer.member("summary", string: summary) }
            if let format = entry.format { writer.member("format", string: format.rawValue) }
            writer.beginArray(named: "data_items")
            for item in entry.dataItems {
                writer.beginObject()
                writer.member("name", string: item.name)
                if let pointer = item.pointer { writer.member("pointer", string: pointer.description) }
                if let type = item.type { writer.member("type", string: type.rawValue) }
                writer.endObject()
            }
            writer.endArray()
            writer.member("sharing_type", string: entry.sharingType.rawValue)
            writer.member("sharing_type_name", string: entry.sharingType.chineseName)
            if let conditions = entry.sharingConditions { writer.member("sharing_conditions", string: conditions) }
            if let cycle = entry.updateCycle {
                writer.member("update_cycle", string: cycle.rawValue)
                writer.member("update_cycle_name", string: cycle.chineseName)
            }
            if let date = entry.publicationDate { writer.member("publication_date", string: date) }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return Self.jsonResponse(writer.bytes)
    }

    static func write(_ entry: AgreementRegisterEntry, into writer: inout JSONWriter) {
        let agreement = entry.agreement
        writer.beginObject()
        writer.member("id", string: agreement.id)
        writer.member("version", integer: agreement.version)
        writer.member("title", string: agreement.title)
        writer.member("provider", string: agreement.provider.rawValue)
        writer.beginArray(named: "consumers")
        for consumer in agreement.consumers { writer.element(string: consumer.rawValue) }
        writer.endArray()
        writer.beginArray(named: "topics")
        for topic in agreement.topics { writer.element(string: topic.rawValue) }
        writer.endArray()
        if let fields = agreement.fields {
            writer.beginArray(named: "fields")
            for field in fields { writer.element(string: field.description) }
            writer.endArray()
        }
        if let match = agreement.match { writer.member("conditions", raw: match.source.serialized()) }
        writer.member("purpose", string: agreement.purpose)
        writer.member("legal_basis", string: agreement.legalBasis)
        writer.member("valid_from", string: Exchange.instant(agreement.validFrom))
        if let until = agreement.validUntil { writer.member("valid_until", string: Exchange.instant(until)) }
        writer.member("declared_status", string: agreement.status.rawValue)
        writer.member("status", string: entry.standing.rawValue)
        writer.member("events_routed", unsigned: entry.routes)
        if let last = entry.lastRouted {
            writer.member("last_routed_at", string: RFC3339.format(nanoseconds: last.lastReceivedAt))
            writer.member("last_routed_sequence", unsigned: last.lastSequence)
        }
        writer.beginArray(named: "versions")
        for version in entry.versions {
            writer.beginObject()
            writer.member("version", unsigned: UInt64(version.version))
            writer.member("in_force_terms", bool: Int(version.version) == agreement.version)
            writer.member("events_routed", unsigned: version.routes)
            if version.routes > 0 {
                writer.member("last_routed_at", string: RFC3339.format(nanoseconds: version.lastReceivedAt))
                writer.member("last_routed_sequence", unsigned: version.lastSequence)
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }
}
