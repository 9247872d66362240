public import HTTPTypes

/// One entry of the table of stable error codes the server answers with.
///
/// Every error the server returns is an RFC 9457 problem document whose `code` member is one of
/// these codes; docs/errors.md lists them all. Codes are never renamed; new ones may be added.
///
/// ```swift
/// throw ProblemError(.forbidden, detail: "only admins may reload agreements")
/// ```
public struct ProblemCode: Hashable, Sendable, CustomStringConvertible {
    /// The stable text of the code, e.g. `auth.forbidden`.
    public let rawValue: String
    /// The HTTP status answered with this code.
    public let status: HTTPResponse.Status
    /// A short human-readable summary that does not change from occurrence to occurrence.
    public let title: String

    /// Creates a code. Codes belong in this table.
    /// - Parameters:
    ///   - rawValue: the stable code, `area.reason`.
    ///   - status: the HTTP status.
    ///   - title: the summary.
    public init(_ rawValue: String, status: HTTPResponse.Status, title: String) {
        self.rawValue = rawValue
        self.status = status
        self.title = title
    }

    /// The problem `type` URI: a stable, relative reference to the code's entry in docs/errors.md.
    public var type: String { "/problems/\(rawValue)" }

    /// The code's text.
    public var description: String { rawValue }

    /// Codes are equal when their texts are.
    public static func == (lhs: ProblemCode, rhs: ProblemCode) -> Bool { lhs.rawValue == rhs.rawValue }
    /// Hashes the code's text.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension ProblemCode {
    // MARK: HTTP

    /// The request was malformed in a way no more specific code describes.
    public static let badRequest = ProblemCode("http.bad_request", status: .badRequest, title: "Bad request")
    /// A query parameter is given more than once where the endpoint reads one value.
    public static let repeatedQueryParameter = ProblemCode("http.repeated_query_parameter", status: .badRequest, title: "Repeated query parameter")
    /// No route matches the request path.
    public static let notFound = ProblemCode("http.not_found", status: .notFound, title: "Not found")
    /// The route exists but not for this method.
    public static let methodNotAllowed = ProblemCode("http.method_not_allowed", status: .methodNotAllowed, title: "Method not allowed")
    /// The request body is larger than `limits.max_request_body`.
    public static let bodyTooLarge = ProblemCode("http.body_too_large", status: .contentTooLarge, title: "Request body too large")
    /// The request's body is sent with a transfer coding other than `chunked` (RFC 9112 §6.1).
    public static let unsupportedTransferCoding = ProblemCode(
        "http.unsupported_transfer_coding", status: .notImplemented, title: "Transfer coding not implemented")
    /// The request's media type is not accepted by this route.
    public static let unsupportedMediaType = ProblemCode("http.unsupported_media_type", status: .unsupportedMediaType, title: "Unsupported media type")

    // MARK: Authentication and access

    /// The request carries no identity: no client certificate of a known department and no bearer token.
    public static let unauthenticated = ProblemCode("auth.unauthenticated", status: .unauthorized, title: "Authentication required")
    /// The bearer token is unknown, malformed or revoked.
    public static let invalidToken = ProblemCode("auth.invalid_token", status: .unauthorized, title: "Invalid bearer token")
    /// The client certificate chains to the CA but names no known department.
    public static let unknownCertificate = ProblemCode("auth.unknown_certificate", status: .unauthorized, title: "Unknown client certificate")
    /// The bearer token is past its expiry (`exchangectl token create --expires-in`).
    public static let tokenExpired = ProblemCode("auth.token_expired", status: .unauthorized, title: "Bearer token expired")
    /// The client certificate is revoked (`server.tls.revoked_certificates`).
    public static let certificateRevoked = ProblemCode("auth.certificate_revoked", status: .unauthorized, title: "Client certificate revoked")
    /// The identity is known but its role may not do this.
    public static let forbidden = ProblemCode("auth.forbidden", status: .forbidden, title: "Forbidden")

    // MARK: CloudEvents

    /// The body is not well-formed JSON, or not the JSON shape the mode requires.
    public static let malformedJSON = ProblemCode("cloudevents.malformed_json", status: .badRequest, title: "Malformed JSON")
    /// A required context attribute (`specversion`, `id`, `type`, `topic`) is absent or empty.
    public static let missingAttribute = ProblemCode("cloudevents.missing_attribute", status: .badRequest, title: "Missing CloudEvents attribute")
    /// A context attribute has a bad name or a value of the wrong kind.
    public static let invalidAttribute = ProblemCode("cloudevents.invalid_attribute", status: .badRequest, title: "Invalid CloudEvents attribute")
    /// `specversion` is not `1.0`.
    public static let unsupportedSpecVersion = ProblemCode("cloudevents.unsupported_specversion", status: .badRequest, title: "Unsupported CloudEvents spec version")
    /// The content type is none of structured, batch or binary CloudEvents mode.
    public static let unsupportedContentType = ProblemCode("cloudevents.unsupported_content_type", status: .unsupportedMediaType, title: "Unsupported CloudEvents content type")
    /// One event is larger than `limits.max_event_size`.
    public static let eventTooLarge = ProblemCode("cloudevents.event_too_large", status: .contentTooLarge, title: "Event too large")
    /// A batch holds more than `limits.max_batch_events` events.
    public static let tooManyEvents = ProblemCode("cloudevents.too_many_events", status: .contentTooLarge, title: "Too many events in batch")
    /// A batch holds no events.
    public static let emptyBatch = ProblemCode("cloudevents.empty_batch", status: .badRequest, title: "Empty batch")

    // MARK: Server

    /// The server is not ready to take requests (starting, draining or degraded).
    public static let notReady = ProblemCode("server.not_ready", status: .serviceUnavailable, title: "Not ready")
    /// An unexpected failure; the detail is logged, not answered.
    public static let internalError = ProblemCode("server.internal", status: .internalServerError, title: "Internal error")

    // MARK: Store

    /// The store reached its maximum size; nothing was written.
    public static let storeFull = ProblemCode("store.full", status: .init(code: 507, reasonPhrase: "Insufficient Storage"), title: "Store full")
    /// The store is closed (the daemon is shutting down).
    public static let storeClosed = ProblemCode("store.closed", status: .serviceUnavailable, title: "Store closed")
    /// The request names something the store does not hold.
    public static let storeNotFound = ProblemCode("store.not_found", status: .notFound, title: "Not found in store")
    /// The request conflicts with what the store holds.
    public static let storeConflict = ProblemCode("store.conflict", status: .conflict, title: "Conflict")
    /// The store refused the request as malformed (empty batch, field over its limit).
    public static let storeInvalidRequest = ProblemCode("store.invalid_request", status: .badRequest, title: "Invalid request")
    /// The store failed (LMDB error, corrupt record, unsupported format, open failure).
    public static let storeFailure = ProblemCode("store.failure", status: .internalServerError, title: "Store failure")

    // MARK: Audit

    /// No signed checkpoint is kept yet, or none of the requested tree size.
    public static let auditNoCheckpoint = ProblemCode("audit.no_checkpoint", status: .notFound, title: "No such checkpoint")
    /// The exchange has no audit signing key (`audit.signing_key`), so it signs no checkpoints.
    public static let auditNotConfigured = ProblemCode("audit.not_configured", status: .notFound, title: "Audit signing not configured")

    // MARK: Exchange (the engine and the routing core)

    /// A publish request holds no event.
    public static let publishEmpty = ProblemCode("publish.empty", status: .badRequest, title: "No event")
    /// An event's data does not satisfy its topic's JSON Schema.
    public static let publishSchemaViolation = ProblemCode("publish.schema_violation", status: .unprocessableContent, title: "Data breaks the topic schema")
    /// A message id, subject, type or indexed registry value is longer than its byte limit.
    public static let publishFieldTooLong = ProblemCode("publish.field_too_long", status: .badRequest, title: "Value too long")
    /// The publisher already published this message id with other content (data, topic, type or
    /// subject); the original is kept, and the document's `original_sequence` names it.
    public static let publishIdConflict = ProblemCode("publish.id_conflict", status: .conflict, title: "Message id already used for other content")
    /// The topic is not declared, or a pattern matches no declared topic.
    public static let accessUnknownTopic = ProblemCode("access.unknown_topic", status: .notFound, title: "Unknown topic")
    /// Only the topic's owning department may publish to it.
    public static let accessNotTopicOwner = ProblemCode("access.not_topic_owner", status: .forbidden, title: "Not the topic's owner")
    /// An event's source differs from the authenticated department.
    public static let accessSourceMismatch = ProblemCode("access.source_mismatch", status: .forbidden, title: "Source is not the publisher")
    /// The department is not declared.
    public static let accessUnknownDepartment = ProblemCode("access.unknown_department", status: .forbidden, title: "Unknown department")
    /// The topic or pattern is malformed.
    public static let accessInvalidTopic = ProblemCode("access.invalid_topic", status: .forbidden, title: "Invalid topic")
    /// No agreement in force lets the department receive what it asks for.
    public static let accessNoAgreement = ProblemCode("access.no_agreement", status: .forbidden, title: "No agreement")
    /// The department lacks the role the action needs.
    public static let accessMissingRole = ProblemCode("access.missing_role", status: .forbidden, title: "Missing role")
    /// The subscription name breaks the naming rule.
    public static let subscriptionInvalidName = ProblemCode("subscription.invalid_name", status: .badRequest, title: "Invalid subscription name")
    /// The filter is not a topic pattern.
    public static let subscriptionInvalidFilter = ProblemCode("subscription.invalid_filter", status: .badRequest, title: "Invalid subscription filter")
    /// A subscription setting is out of range.
    public static let subscriptionInvalidLimits = ProblemCode("subscription.invalid_limits", status: .badRequest, title: "Invalid subscription limits")
    /// The department has no subscription of that name.
    public static let subscriptionNotFound = ProblemCode("subscription.not_found", status: .notFound, title: "Unknown subscription")
    /// Another department owns a subscription of that name.
    public static let subscriptionNameTaken = ProblemCode("subscription.name_taken", status: .conflict, title: "Subscription name taken")
    /// The department holds as many subscriptions as it may.
    public static let subscriptionLimitReached = ProblemCode("subscription.limit_reached", status: .conflict, title: "Subscription limit reached")
    /// No topic feeds a registry collection of that name.
    public static let registryUnknownCollection = ProblemCode("registry.unknown_collection", status: .notFound, title: "Unknown registry collection")
    /// The collection holds no entry of that key the caller may see.
    public static let registryNotFound = ProblemCode("registry.not_found", status: .notFound, title: "No such registry entry")
    /// No agreement in force gives the caller a topic feeding the collection.
    public static let registryNotEntitled = ProblemCode("registry.not_entitled", status: .forbidden, title: "Not entitled to the collection")
    /// A registry query parameter is unknown, repeated or malformed.
    public static let registryBadQuery = ProblemCode("registry.bad_query", status: .badRequest, title: "Bad registry query parameter")
    /// The cursor was not returned by the same query, or is malformed.
    public static let registryBadCursor = ProblemCode("registry.bad_cursor", status: .badRequest, title: "Bad registry cursor")

    /// As many bulk reads (replays, the auditor's events and replay) as
    /// `bulk_reads.max_concurrent` allows are streaming; answered with `Retry-After`.
    public static let replayBusy = ProblemCode("replay.busy", status: .serviceUnavailable, title: "Too many bulk reads")
    /// The principal made more audited reads (replays, registry queries, audit reads, console
    /// pages) than `audit.read_limit` allows; answered with `Retry-After`.
    public static let readsRateLimited = ProblemCode("reads.rate_limited", status: .tooManyRequests, title: "Too many reads")

    /// The agreement id in the path is not an agreement id: 1 to 128 ASCII letters, digits,
    /// `-`, `_`, `.`.
    public static let agreementInvalidID = ProblemCode("agreement.invalid_id", status: .badRequest, title: "Invalid agreement id")
    /// No agreement of that id is in the configuration in force.
    public static let agreementNotFound = ProblemCode("agreement.not_found", status: .notFound, title: "Unknown agreement")

    /// A legal hold request is malformed: the body of `POST /v1/holds` (scope, value, reason and
    /// their limits) or the `{id}` of `DELETE /v1/holds/{id}`.
    public static let holdInvalid = ProblemCode("hold.invalid", status: .badRequest, title: "Invalid legal hold")
    /// No legal hold of that id stands.
    public static let holdNotFound = ProblemCode("hold.not_found", status: .notFound, title: "Unknown legal hold")
    /// As many legal holds as the exchange keeps (10,000) stand.
    public static let holdLimitReached = ProblemCode("hold.limit_reached", status: .conflict, title: "Too many legal holds")

    /// Every code of this table, in documentation order.
    public static let all: [ProblemCode] = [
        .badRequest, .repeatedQueryParameter, .notFound, .methodNotAllowed, .bodyTooLarge, .unsupportedMediaType,
        .unsupportedTransferCoding,
        .unauthenticated, .invalidToken, .unknownCertificate, .certificateRevoked, .tokenExpired, .forbidden,
        .malformedJSON, .missingAttribute, .invalidAttribute, .unsupportedSpecVersion, .unsupportedContentType,
        .eventTooLarge, .tooManyEvents, .emptyBatch,
        .notReady, .internalError,
        .storeFull, .storeClosed, .storeNotFound, .storeConflict, .storeInvalidRequest, .storeFailure,
        .auditNoCheckpoint, .auditNotConfigured,
    ] + exchangeCodes

    /// The codes of the exchange engine and the routing core (publish, access, subscriptions,
    /// registry), with the statuses they are answered with.
    public static let exchangeCodes: [ProblemCode] = [
        .publishEmpty, .publishSchemaViolation, .publishFieldTooLong, .publishIdConflict,
        .accessUnknownTopic, .accessNotTopicOwner, .accessSourceMismatch, .accessUnknownDepartment, .accessInvalidTopic, .accessNoAgreement, .accessMissingRole,
        .subscriptionInvalidName, .subscriptionInvalidFilter, .subscriptionInvalidLimits, .subscriptionNotFound, .subscriptionNameTaken, .subscriptionLimitReached,
        .registryUnknownCollection, .registryNotFound, .registryNotEntitled, .registryBadQuery, .registryBadCursor,
        .replayBusy, .readsRateLimited,
        .agreementInvalidID, .agreementNotFound,
        .holdInvalid, .holdNotFound, .holdLimitReached,
    ]
}
