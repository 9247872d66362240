public import ExchangeAudit
public import ExchangeConfig
public import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
public import Hummingbird
import HummingbirdWebSocket
public import Logging
import NIOCore

/// The exchange's HTTP and WebSocket API on the authenticated `/v1` group: publish, durable
/// subscriptions (pull and push), acknowledgements, dead letters, replay, registry queries and
/// agreement reload.
///
/// ```swift
/// let routes = ExchangeRoutes(exchange: exchange, maxRequestBody: configuration.server.limits.maxRequestBody, logger: logger)
/// let app = try buildApplication(
///     configuration: configuration.server, dependencies: dependencies, logger: logger,
///     routes: routes.register, webSocketRoutes: routes.registerWebSockets)
/// ```
public struct ExchangeRoutes: Sendable {
    let exchange: Exchange
    /// The largest request body, and so the largest WebSocket message, bytes.
    let maxRequestBody: Int
    let logger: Logger
    let audit: AuditRoutes
    /// The server's TLS context, re-read by `POST /v1/admin/reload` with the agreements.
    let tls: ServerTLSContext?

    /// Creates the routes over an exchange.
    /// - Parameters:
    ///   - exchange: the engine.
    ///   - maxRequestBody: the largest request body, and WebSocket message, in bytes
    ///     (`limits.max_request_body`); the limits of events and batches are the engine's
    ///     (`EngineConfiguration.limits`).
    ///   - logger: where handlers log.
    ///   - auditVerifier: the public key of the audit checkpoints, served at `/v1/audit/key`;
    ///     `nil` when the exchange signs no checkpoints.
    ///   - tls: the server's TLS context, which `POST /v1/admin/reload` re-reads too; `nil`: the
    ///     reload leaves TLS alone.
    public init(
        exchange: Exchange, maxRequestBody: Int = ServerLimits.default.maxRequestBody, logger: Logger, auditVerifier: NoteVerifier? = nil,
        tls: ServerTLSContext? = nil
    ) {
        self.tls = tls
        self.exchange = exchange
        self.maxRequestBody = maxRequestBody
        self.logger = logger
        self.audit = AuditRoutes(exchange: exchange, verifier: auditVerifier)
    }

    /// Registers the HTTP routes on the authenticated `/v1` group: every HTTP entry of
    /// ``endpoints``, each with its operation's handler behind a check of its query parameters.
    public func register(on v1: RouterGroup<ExchangeRequestContext>) {
        for endpoint in Self.endpoints where endpoint.transport == .http {
            v1.on(RouterPath(endpoint.routerPath), method: endpoint.method, use: Self.refusingUnknownQuery(endpoint, handler(for: endpoint.operation)))
        }
    }

    /// The handler of an HTTP operation.
    func handler(for operation: ExchangeEndpoint.Operation) -> @Sendable (Request, ExchangeRequestContext) async throws -> Response {
        switch operation {
        case .publish: publish
        case .putSubscription: putSubscription
        case .getSubscription: getSubscription
        case .deleteSubscription: deleteSubscription
        case .pull: pull
        case .ack: { request, context in try await settle(request, context, .ack) }
        case .nak: { request, context in try await settle(request, context, .nak) }
        case .term: { request, context in try await settle(request, context, .term) }
        case .deadLetters: deadLetters
        case .redrive: { request, context in try await settle(request, context, .redrive) }
        case .replay: replay
        case .reload: reload
        case .registryLookup: registryLookup
        case .registrySearch: registrySearch
        case .auditKey: Self.readAudited(audit.key)
        case .auditCheckpoint: Self.readAudited(audit.checkpoint)
        case .auditCheckpoints: Self.readAudited(audit.checkpoints)
        case .auditEntries: Self.readAudited(audit.entries)
        case .auditInclusionProof: Self.readAudited(audit.inclusionProof)
        case .auditConsistencyProof: Self.readAudited(audit.consistencyProof)
        case .auditEvents: Self.readAudited(audit.events)
        case .auditReplay: Self.readAudited(audit.replay)
        case .auditSubject: Self.readAudited(audit.subject)
        case .listAgreements: listAgreements
        case .showAgreement: showAgreement
        case .catalogue: catalogue
        case .listHolds: listHolds
        case .setHold: setHold
        case .liftHold: liftHold
        case .backup: backup
        case .publishStream, .subscriptionStream:
            preconditionFailure("\(operation) is a WebSocket endpoint; registerWebSockets(on:) registers it")
        }
    }

    /// An auditor API handler whose refusals after the role check are not audited again: the
    /// handler wrote the request's `audit_read` entry (with its query) before reading anything,
    /// so a parameter refused afterwards is already in the log. Refusals of the role check
    /// itself (401, 403) come before that entry and are audited as any other, and so is a read
    /// refused for its principal's read budget (`reads.rate_limited`), which writes no entry;
    /// engine errors (the store's, through the engine) come after it.
    static func readAudited(
        _ handler: @escaping @Sendable (Request, ExchangeRequestContext) async throws -> Response
    ) -> @Sendable (Request, ExchangeRequestContext) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch var problem as ProblemError where problem.code.status != .unauthorized && problem.code.status != .forbidden {
                problem.isAudited = true
                throw problem
            } catch var error as ExchangeError where error.code != .readsLimited {
                error.isAudited = true
                throw error
            }
        }
    }

    // MARK: Publish

    @Sendable func publish(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let topic = try context.parameters.require("topic")
        let body = try await context.collectBody(request)
        let mode = try CloudEvents.mode(of: request.headers)
        let envelopes = try CloudEvents.parse(
            mode, headers: request.headers, body: body,
            options: CloudEventsOptions(limits: exchange.configuration.limits, source: department.rawValue, topic: topic))
        let outcomes = try await exchange.publish(envelopes, from: department)
        var writer = JSONWriter(capacity: 32 + outcomes.count * 96)
        writer.beginObject()
        if mode == .batch {
            writer.results(outcomes)
        } else {
            writer.members(of: outcomes[0])
        }
        writer.endObject()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    // MARK: Subscriptions

    @Sendable func putSubscription(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        let body = try await context.collectBody(request)
        let document: SubscriptionRequest
        if let violation = SubscriptionRequest.strictViolation(body) {
            throw ProblemError(.badRequest, detail: "the subscription body is not valid: \(violation)")
        }
        do {
            document = try JSONDecoder().decode(SubscriptionRequest.self, from: Data(body))
        } catch {
            throw ProblemError(.badRequest, detail: "the subscription body is not valid: \(Self.describe(error, body: Array(body)))")
        }
        let specification = try document.specification()
        let (info, created) = try await exchange.putSubscription(name, specification, owner: department)
        return try Self.json(AnyEncodable(SubscriptionDocument(info)), status: created ? .created : .ok)
    }

    @Sendable func getSubscription(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        let info = try exchange.subscriptionInfo(name, owner: department)
        return try Self.json(AnyEncodable(SubscriptionDocument(info)), status: .ok)
    }

    @Sendable func deleteSubscription(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        try await exchange.deleteSubscription(name, owner: department)
        return Response(status: .noContent)
    }

    @Sendable func pull(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        let max = try Self.integer(request, "max", default: 100, in: 1...10_000)
        let waitMilliseconds = try Self.integer(request, "wait", default: 0, in: 0...3_600_000)
        let pulled = try await exchange.pullReportingGaps(name, owner: department, max: max, wait: .milliseconds(waitMilliseconds))
        let body = CloudEvents.encodeBatch(pulled.events.map { ($0.envelope, Self.attributes($0)) })
        var headers: HTTPFields = [.contentType: CloudEvents.batchMediaType]
        if let expired = Self.expiredHeader(pulled.expired) {
            headers[HTTPField.Name("exchange-expired")!] = expired
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The `exchange-expired` header of a pull: the sequences retention removed that the
    /// subscription passed, as `FIRST-LAST` ranges (as a replay's header), ascending, overlapping
    /// ones joined, separated by `, `; `nil` when there are none.
    static func expiredHeader(_ gaps: [ExpiredGap]) -> String? {
        var ranges: [(first: UInt64, last: UInt64)] = []
        for gap in gaps.sorted(by: { $0.first < $1.first }) {
            if let previous = ranges.last, gap.first <= previous.last &+ 1, previous.last < .max {
                ranges[ranges.count - 1].last = Swift.max(previous.last, gap.last)
            } else {
                ranges.append((gap.first, gap.last))
            }
        }
        guard !ranges.isEmpty else { return nil }
        return ranges.map { "\($0.first)-\($0.last)" }.joined(separator: ", ")
    }

    enum Settlement { case ack, nak, term, redrive }

    func settle(_ request: Request, _ context: ExchangeRequestContext, _ settlement: Settlement) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        let body = try await context.collectBody(request)
        let document: SequencesRequest
        // One parse; the decoder is asked only for a body that does not read, to say why.
        let (read, violation) = SequencesRequest.read(body)
        if let violation {
            throw ProblemError(.badRequest, detail: "expected {\"sequences\": [n, ...]} and at most \"delay_ms\": \(violation)")
        }
        if let read {
            document = read
        } else {
            do {
                document = try JSONDecoder().decode(SequencesRequest.self, from: Data(body))
            } catch {
                throw ProblemError(
                    .badRequest,
                    detail: "expected {\"sequences\": [n, ...]} with whole numbers from 1 to \(InputBounds.sequence.upperBound): \(Self.describe(error, body: Array(body)))")
            }
        }
        try document.checkBounds()
        switch settlement {
        case .ack:
            let settled = try await exchange.ack(document.sequences, subscription: name, owner: department)
            return try Self.json(AnyEncodable(["acknowledged": settled]), status: .ok)
        case .nak:
            let settled = try await exchange.nak(
                document.sequences, subscription: name, owner: department, delay: .milliseconds(Int64(clamping: document.delayMs ?? 0)))
            return try Self.json(AnyEncodable(["declined": settled]), status: .ok)
        case .term:
            let settled = try await exchange.term(document.sequences, subscription: name, owner: department)
            return try Self.json(AnyEncodable(["terminated": settled]), status: .ok)
        case .redrive:
            let moved = try await exchange.redrive(document.sequences, subscription: name, owner: department)
            return try Self.json(AnyEncodable(["redriven": moved]), status: .ok)
        }
    }

    /// Dead letters one answer lists unless `limit` says otherwise (at most
    /// ``InputBounds/maxSequencesPerRequest``, as many as one settlement names).
    static let deadLetterPage = 1000

    /// `GET /v1/subscriptions/{name}/dead-letters?after=&limit=`: a page of dead letters in
    /// sequence order, with `next_after` (the `after` of the next page) when more follow.
    @Sendable func deadLetters(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let department = try context.requireDepartment()
        let name = try context.parameters.require("name")
        let after = try Self.integer(request, "after", default: 0, in: 0...Int(InputBounds.sequence.upperBound))
        let limit = try Self.integer(request, "limit", default: Self.deadLetterPage, in: 1...InputBounds.maxSequencesPerRequest)
        // One more than asked tells whether a next page exists.
        var letters = try exchange.deadLetters(subscription: name, owner: department, after: UInt64(after), limit: limit + 1)
        let more = letters.count > limit
        if more { letters.removeLast() }
        let documents = letters.map { ["sequence": $0.sequence, "deliveries": UInt64($0.deliveries), "time_ns": $0.time] }
        var answer: [String: AnyEncodable] = ["dead_letters": AnyEncodable(documents)]
        if more, let last = letters.last { answer["next_after"] = AnyEncodable(last.sequence) }
        return try Self.json(AnyEncodable(answer), status: .ok)
    }

    // MARK: Replay

    @Sendable func replay(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.department, .auditor)
        let scope: ReplayScope
        if let department = principal.department {
            scope = .department(department)
        } else {
            scope = .everything
        }
        var query = ReplayQuery()
        let parameters = request.uri.queryParameters
        if let topic = parameters.get("topic") {
            guard let pattern = TopicPattern(topic) else {
                throw ProblemError(.badRequest, detail: "topic \"\(AuditEvent.bounded(topic))\" is not a topic pattern")
            }
            if let unknown = exchange.unknownTopicMessage(pattern) {
                throw ExchangeError(.unknownTopic, unknown)
            }
            query.topic = pattern
        }
        if let text = parameters.get("from_seq") {
            guard Self.isDigits(text), let sequence = UInt64(text), sequence <= InputBounds.sequence.upperBound else {
                throw ProblemError(.badRequest, detail: "from_seq must be a whole number from 0 to \(InputBounds.sequence.upperBound)")
            }
            query.fromSequence = sequence
        }
        query.fromTime = try Self.time(request, "from_time")
        query.until = try Self.time(request, "until")
        if parameters.get("limit") != nil {
            query.limit = try Self.integer(request, "limit", default: 0, in: 1...Int.max)
        }
        let exchange = self.exchange
        let logger = self.logger
        let actor = principal.actor
        let query2 = query
        // Events of the range that retention removed: the replay goes on without them.
        let gap = try exchange.expiredGap(topic: query.topic, from: query.fromSequence, scope: scope)
        // Taken before the replay is audited or answered: a refusal (503 `replay.busy`) writes
        // no `replayed` entry (ProblemMiddleware reports it, and the engine audits such
        // refusals aggregated per principal).
        let permit = try exchange.beginBulkRead(for: principal.bulkReader)
        let stream = BulkReadStream(exchange: exchange, permit: permit, channel: context.channel)
        // Audited before the status line: a store that cannot take the `replayed` entry (full)
        // is answered with its problem (507 `store.full`), not a 200 whose body is cut short.
        let start: ReplayStart
        do {
            start = try await exchange.beginReplay(query, scope: scope, actor: actor)
        } catch {
            permit.release()
            throw error
        }
        let lastSequence = exchange.store.lastSequence
        var headers: HTTPFields = [.contentType: "application/x-ndjson", HTTPField.Name("exchange-last-sequence")!: String(lastSequence)]
        if let gap {
            headers[HTTPField.Name("exchange-expired")!] = "\(gap.lowerBound)-\(gap.upperBound)"
        }
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                defer { permit.release() }
                do {
                    // Events that go out whole are encoded straight from their stored records.
                    var bytes: [UInt8] = []
                    var receivedAt: (nanoseconds: UInt64, text: String) = (0, "")
                    try await exchange.replayRecords(query2, scope: scope, from: start) { item in
                        switch item {
                        case .record(let view, let agreement, _):
                            try CloudEvents.encodeLine(view, agreement: agreement.isEmpty ? nil : agreement, into: &bytes, receivedAt: &receivedAt)
                        case .delivered(let event):
                            CloudEvents.encode(event.envelope, delivery: Self.attributes(event), into: &bytes)
                            bytes.append(0x0A)
                        }
                    } flush: {
                        try await stream.send(bytes, to: &writer)
                        bytes.removeAll(keepingCapacity: true)
                    }
                } catch {
                    logger.warning("replay stopped", metadata: ["error": "\(error)", "actor": "\(actor)"])
                    throw error
                }
                try await stream.finish(writer)
            })
    }

    // MARK: Administration

    @Sendable func reload(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.admin)
        let report = await exchange.reloadAgreements(actor: principal.actor, trigger: "admin_api")
        var document = Exchange.document(of: report)
        var applied = report.isApplied
        if let tls {
            let outcome = await tls.reloadAndAudit(exchange: exchange, actor: principal.actor, logger: logger)
            document["tls"] = ServerTLSContext.document(of: outcome)
            applied = applied && outcome.applied
        }
        var body: [UInt8] = []
        AuditValue.object(document).writeCanonical(into: &body)
        return Response(
            status: applied ? .ok : .unprocessableContent, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: Helpers

    static func attributes(_ event: DeliveredEvent) -> DeliveryAttributes {
        DeliveryAttributes(
            sequence: event.sequence, topic: event.envelope.topic, agreement: event.agreement.isEmpty ? nil : event.agreement,
            receivedAt: RFC3339.format(nanoseconds: event.receivedAt))
    }

    static func json(_ value: AnyEncodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The query parameter `name` as a whole number in `range`, `value` when absent: ASCII
    /// digits only (`+5`, ` 5` and `5.0` are refused, as JSON would not write them).
    static func integer(_ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard Self.isDigits(text), let number = Int(text), range.contains(number) else {
            throw ProblemError(.badRequest, detail: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Whether `text` is one or more ASCII digits and nothing else (``InputBounds/isDigits(_:)``).
    static func isDigits(_ text: some StringProtocol) -> Bool { InputBounds.isDigits(text) }

    static func time(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        return try RFC3339.instant(text, name: name)
    }

    static func describe(_ error: any Error, body: [UInt8]? = nil) -> String {
        // Foundation's decoder calls a number it cannot hold "not valid JSON"; the exchange's
        // own parser tells the two apart.
        if case DecodingError.dataCorrupted = error, let body, (try? JSONValue.parse(body)) != nil {
            return "a number is outside the range its field takes"
        }
        return switch error {
        case DecodingError.keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            (context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription).trimmingCharacters(in: .whitespaces)
        default: "malformed JSON"
        }
    }
}

/// Any encodable value, for building JSON answers.
struct AnyEncodable: Encodable {
    let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode(to:) }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

extension ExchangeRequestContext {
    /// The authenticated department, or a 403 problem for other principals.
    func requireDepartment() throws -> DepartmentID {
        let principal = try requireRole(.department)
        guard let department = principal.department else {
            throw ProblemError(.forbidden, detail: "only departments, authenticated by client certificate, may do this")
        }
        return department
    }
}
