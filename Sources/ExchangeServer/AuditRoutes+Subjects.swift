import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeWire
import Foundation
import Hummingbird

extension AuditRoutes {
    /// Events one page of `GET /v1/audit/subjects/{subject}` holds by default.
    static let defaultSubjectPage = 100

    /// `GET /v1/audit/subjects/{subject}?limit=&before=`: the data tracker. For one subject (a
    /// licence or case number, a holder's credit code), the events about it newest first, each
    /// with when the exchange received it, who published it and the departments it was routed
    /// to, under which agreement, version and purpose; `next_before` continues with older
    /// events.
    ///
    /// Auditors see every event about the subject; admins are refused (403 `auth.forbidden`:
    /// administration reads no audit entries, as the console's tracker refuses them). The portal sees what its
    /// department (the department its token's name names, which departments.yaml must give the
    /// `portal` role) published or received: it answers a licence holder about the data the
    /// portal itself was party to, with every recipient of those events, and nothing about
    /// events shared between other departments alone. A portal token that names no such
    /// department sees no events. Every answered request is audited (`audit_read`) first.
    @Sendable func subject(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.portal, .auditor)
        try await exchange.auditRead(actor: principal.actor, endpoint: request.uri.path, query: request.uri.query ?? "")
        let encoded = try context.parameters.require("subject")
        guard let subject = encoded.removingPercentEncoding else {
            throw ProblemError(.badRequest, detail: "the subject \"\(AuditEvent.bounded(encoded))\" is not percent-encoded UTF-8")
        }
        guard !subject.isEmpty, subject.count <= 256, subject.utf8.count <= 1024 else {
            throw ProblemError(.badRequest, detail: "the subject must be 1 to 256 characters")
        }
        let limit = try ExchangeRoutes.integer(request, "limit", default: Self.defaultSubjectPage, in: 1...Exchange.maxSubjectTrailPage)
        let before = try Self.unsigned(request, "before")
        let trail = try exchange.subjectTrail(subject, viewer: principal.dataViewer(in: exchange.agreements.current), before: before, limit: limit)
        var writer = JSONWriter(capacity: 256 + trail.events.count * 320)
        writer.beginObject()
        writer.member("subject", string: trail.subject)
        writer.member("count", integer: trail.events.count)
        writer.beginArray(named: "events")
        for event in trail.events {
            writer.beginObject()
            writer.member("index", unsigned: event.index)
            writer.member("sequence", unsigned: event.sequence)
            writer.member("time", string: event.time)
            writer.member("provider", string: event.provider)
            writer.member("topic", string: event.topic)
            writer.beginArray(named: "recipients")
            for recipient in event.recipients {
                writer.beginObject()
                writer.member("department", string: recipient.department)
                writer.member("agreement", string: recipient.agreement)
                writer.member("agreement_version", unsigned: recipient.agreementVersion)
                if let purpose = recipient.purpose { writer.member("purpose", string: purpose) }
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        if let next = trail.nextBefore { writer.member("next_before", unsigned: next) }
        writer.endObject()
        return ExchangeRoutes.jsonResponse(writer.bytes)
    }
}
