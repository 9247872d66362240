import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeStore
import ExchangeWire
import Hummingbird

extension ExchangeRoutes {
    // MARK: Legal holds

    /// The roles that may list legal holds: administration and audit. Only an admin sets or
    /// lifts one.
    static let holdReaders: Set<Role> = [.admin, .auditor]

    /// `GET /v1/holds`: the legal holds that stand, oldest first (admin, auditor).
    @Sendable func listHolds(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try context.requireRole(in: Self.holdReaders)
        let holds = try exchange.legalHolds()
        var writer = JSONWriter(capacity: 64 + holds.count * 512)
        writer.beginObject()
        writer.member("count", integer: holds.count)
        writer.member("limit", integer: LegalHold.maxHolds)
        writer.beginArray(named: "holds")
        for hold in holds { Self.write(hold, into: &writer) }
        writer.endArray()
        writer.endObject()
        return Self.jsonResponse(writer.bytes)
    }

    /// `POST /v1/holds` with `{"scope": "topic|agreement|department|subject", "value": "...",
    /// "reason": "..."}` (admin, `Content-Type: application/json`, else 415): sets a legal
    /// hold, 201 with the hold; 200 with the standing hold when one of that scope and value
    /// already stands (nothing written). A value that names nothing declared is 400
    /// `hold.invalid` (``Exchange/legalHoldProblem(scope:value:)``).
    @Sendable func setHold(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.admin)
        try Self.requireJSONContentType(request)
        let body = try await context.collectBody(request)
        let (scope, value, reason) = try Self.holdRequest(Array(body))
        let outcome = try await exchange.setLegalHold(scope: scope, value: value, reason: reason, actor: principal.actor)
        var writer = JSONWriter(capacity: 512)
        switch outcome {
        case .set(let hold):
            Self.write(hold, into: &writer)
            var response = Self.jsonResponse(writer.bytes)
            response.status = .created
            response.headers[.location] = "/v1/holds/\(hold.id)"
            return response
        case .existing(let hold):
            Self.write(hold, into: &writer)
            return Self.jsonResponse(writer.bytes)
        case .limitReached:
            throw ProblemError(
                .holdLimitReached, detail: "\(LegalHold.maxHolds) legal holds stand, the most the exchange keeps; lift one before setting another")
        }
    }

    /// `DELETE /v1/holds/{id}` (admin): lifts a legal hold; 200 with the hold lifted.
    @Sendable func liftHold(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.admin)
        let text = try context.parameters.require("id")
        guard let id = Self.holdID(text) else {
            throw ProblemError(.holdInvalid, detail: "\"\(AuditEvent.bounded(text))\" is not a hold id: a whole number from 1")
        }
        guard let hold = try await exchange.liftLegalHold(id: id, actor: principal.actor) else {
            throw ProblemError(.holdNotFound, detail: "no legal hold \(id) stands (GET /v1/holds lists them)")
        }
        var writer = JSONWriter(capacity: 512)
        Self.write(hold, into: &writer)
        return Self.jsonResponse(writer.bytes)
    }

    /// The hold id `text` names: a whole number from 1 written as `GET /v1/holds` writes it,
    /// 1 to 16 ASCII digits without a leading zero or a sign (so `01` and `+1` name no hold,
    /// as the path's pattern in docs/openapi.yaml says), at most the largest sequence.
    static func holdID(_ text: String) -> UInt64? {
        let digits = text.utf8
        guard (1...16).contains(digits.count), digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let id = UInt64(text), id <= InputBounds.sequence.upperBound
        else { return nil }
        return id
    }

    /// The scope, value and reason of a `POST /v1/holds` body, or `hold.invalid`.
    static func holdRequest(_ body: [UInt8]) throws -> (LegalHold.Scope, String, String) {
        guard case .object(let object)? = try? JSONValue.parse(body) else {
            throw ProblemError(.holdInvalid, detail: "the body must be a JSON object with scope, value and reason")
        }
        for member in object.members where !["scope", "value", "reason"].contains(member.key) {
            throw ProblemError(.holdInvalid, detail: "unknown member \"\(AuditEvent.bounded(member.key))\"; a hold has scope, value and reason")
        }
        let scopes = LegalHold.Scope.allCases.map(\.rawValue).joined(separator: ", ")
        guard let scopeText = object["scope"]?.stringValue, let scope = LegalHold.Scope(rawValue: scopeText) else {
            throw ProblemError(.holdInvalid, detail: "scope must be one of \(scopes)")
        }
        guard let value = object["value"]?.stringValue else {
            throw ProblemError(.holdInvalid, detail: "value must be a string: the \(scope.rawValue) the hold covers")
        }
        guard let reason = object["reason"]?.stringValue, !reason.isEmpty else {
            throw ProblemError(.holdInvalid, detail: "reason must be a non-empty string (a case number, an order)")
        }
        if let problem = LegalHold.problem(scope: scope, value: value, reason: reason, setBy: "") {
            throw ProblemError(.holdInvalid, detail: problem)
        }
        if (value + reason).unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ProblemError(.holdInvalid, detail: "value and reason must not hold control characters")
        }
        return (scope, value, reason)
    }

    /// A hold as `{"id","scope","value","reason","set_by","set_at"}`.
    static func write(_ hold: LegalHold, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("id", unsigned: hold.id)
        writer.member("scope", string: hold.scope.rawValue)
        writer.member("value", string: hold.value)
        writer.member("reason", string: hold.reason)
        writer.member("set_by", string: hold.setBy)
        writer.member("set_at", string: RFC3339.format(nanoseconds: hold.setAt))
        writer.endObject()
    }
}
