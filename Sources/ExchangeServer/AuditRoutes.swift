public import ExchangeAudit
public import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The auditor API under `/v1/audit`: the log's key, signed checkpoints, entries with their
/// stored leaf hashes, inclusion and consistency proofs, filtered entries as NDJSON, and the
/// exchanged events themselves with their routes and receipts (`AuditRoutes+Replay.swift`).
///
/// Only `auditor` and `admin` tokens may call it; a refusal is answered 403 and audited as
/// `access_denied`. Every answered read is itself audited (`audit_read`: actor, endpoint,
/// query, through ``Exchange/auditRead(actor:endpoint:query:)``) and committed before the
/// answer is sent. Binary values (entries, hashes) are base64. The routes map HTTP to engine
/// calls; what they throw is answered by ``ProblemError/init(answering:logger:)``.
public struct AuditRoutes: Sendable {
    /// Most entries (or checkpoints) in one page.
    public static let maxPageSize = 1000

    let exchange: Exchange
    /// The log's verifier key, when checkpoints are signed.
    let verifier: NoteVerifier?

    /// Creates the routes.
    /// - Parameters:
    ///   - exchange: the engine, which keeps the audit log and its checkpoints.
    ///   - verifier: the public half of the checkpoint signing key, or `nil` when none is configured.
    public init(exchange: Exchange, verifier: NoteVerifier?) {
        self.exchange = exchange
        self.verifier = verifier
    }

    /// The auditor, after writing the `audit_read` entry of this request. Reads of the log's
    /// contents (entries, filtered events, the exchanged events themselves) are for auditors
    /// only: admins run the exchange, they do not read what it carries. The key, checkpoints
    /// and proofs (hashes) are open to admins too.
    @discardableResult
    func authorize(_ request: Request, _ context: ExchangeRequestContext, contents: Bool = false) async throws -> Principal {
        let principal = try contents ? context.requireRole(.auditor) : context.requireRole(.auditor, .admin)
        try await exchange.auditRead(actor: principal.actor, endpoint: request.uri.path, query: request.uri.query ?? "")
        return principal
    }

    /// The stream of an auditor's bulk read, in this order: the role check (a refusal is
    /// answered 403 and audited as `access_denied`), then the permit of the bulk-read budget
    /// (``BulkReadBudget``; a refusal, 503 `replay.busy`, writes no `audit_read` entry and is
    /// audited aggregated per principal, see ``ExchangeEngine/Exchange/recordRefusal(_:)``),
    /// then the `audit_read` entry of this request, committed before anything is answered.
    func authorizeBulkRead(_ request: Request, _ context: ExchangeRequestContext) async throws -> BulkReadStream {
        let principal = try context.requireRole(.auditor)
        let permit = try exchange.beginBulkRead(for: principal.bulkReader)
        // Audited before the status line (a full store answers 507); a refusal gives the slot back.
        do {
            try await exchange.auditRead(actor: principal.actor, endpoint: request.uri.path, query: request.uri.query ?? "")
        } catch {
            permit.release()
            throw error
        }
        return BulkReadStream(exchange: exchange, permit: permit, channel: context.channel)
    }

    // MARK: Key and checkpoints

    @Sendable func key(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context)
        guard let verifier else {
            throw ProblemError(.auditNotConfigured, detail: "this exchange has no audit signing key (audit.signing_key)")
        }
        let document = AuditKeyDocument(
            origin: verifier.name, algorithm: verifier.publicKey.algorithm.rawValue, verifierKey: try verifier.verifierKey,
            publicKeyPEM: try verifier.publicKey.pemRepresentation())
        return try ExchangeRoutes.json(AnyEncodable(document), status: .ok)
    }

    @Sendable func checkpoint(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context)
        guard let stored = try exchange.checkpoint(treeSize: try Self.unsigned(request, "tree_size")) else {
            throw ProblemError(.auditNoCheckpoint, detail: "no checkpoint of that size is kept")
        }
        return try ExchangeRoutes.json(AnyEncodable(AuditCheckpointDocument(stored)), status: .ok)
    }

    @Sendable func checkpoints(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context)
        let start = try Self.unsigned(request, "start") ?? 0
        let limit = try ExchangeRoutes.integer(request, "limit", default: Self.maxPageSize, in: 1...Self.maxPageSize)
        let stored = try exchange.checkpoints(from: start, limit: limit)
        return try ExchangeRoutes.json(AnyEncodable(AuditCheckpointsPage(checkpoints: stored.map(AuditCheckpointDocument.init))), status: .ok)
    }

    // MARK: Entries and proofs

    @Sendable func entries(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context, contents: true)
        let count = exchange.auditCount
        let start = try Self.unsigned(request, "start") ?? 0
        let end = min(try Self.unsigned(request, "end") ?? count, count)
        guard start <= end else {
            throw ProblemError(.badRequest, detail: "start \(start) is past end \(end) (the log holds \(count) entries)")
        }
        let limit = Int(min(end - start, UInt64(Self.maxPageSize)))
        let records = limit == 0 ? [] : try exchange.auditEntries(from: start, limit: limit)
        let documents = records.map {
            AuditEntryDocument(index: $0.index, entry: Data($0.entry).base64EncodedString(), leafHash: $0.leafHash?.base64)
        }
        return try ExchangeRoutes.json(AnyEncodable(AuditEntriesPage(treeSize: count, entries: documents)), status: .ok)
    }

    @Sendable func inclusionProof(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context)
        guard let index = try Self.unsigned(request, "index") else {
            throw ProblemError(.badRequest, detail: "index is required")
        }
        let count = exchange.auditCount
        let size = try Self.unsigned(request, "tree_size") ?? count
        guard size <= count else {
            throw ProblemError(.badRequest, detail: "tree_size \(size) is larger than the log, which holds \(count) entries")
        }
        guard index < size else {
            throw ProblemError(.badRequest, detail: "index \(index) is not in a tree of \(size) entries")
        }
        let proof = try exchange.auditInclusionProof(index: index, treeSize: size)
        return try ExchangeRoutes.json(
            AnyEncodable(AuditProofDocument(index: index, treeSize: size, first: nil, second: nil, proof: proof.map(\.base64))), status: .ok)
    }

    @Sendable func consistencyProof(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        try await authorize(request, context)
        guard let first = try Self.unsigned(request, "first"), let second = try Self.unsigned(request, "second") else {
            throw ProblemError(.badRequest, detail: "first and second are required")
        }
        guard first <= second else {
            throw ProblemError(.badRequest, detail: "first \(first) is past second \(second)")
        }
        let proof = try exchange.auditConsistencyProof(first: first, second: second)
        return try ExchangeRoutes.json(
            AnyEncodable(AuditProofDocument(index: nil, treeSize: nil, first: first, second: second, proof: proof.map(\.base64))), status: .ok)
    }

    // MARK: Filtered events

    @Sendable func events(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let stream = try await authorizeBulkRead(request, context)
        let filter = try Self.filter(request, releasing: stream)
        return Self.ndjsonPages(exchange: exchange, from: filter.start, through: filter.indexKey, stream: stream) {
            { record, chunk in
                guard filter.matches(record.entry) else { return }
                chunk.append(contentsOf: #"{"index":"#.utf8)
                chunk.append(contentsOf: String(record.index).utf8)
                chunk.append(contentsOf: #","entry":"#.utf8)
                chunk.append(contentsOf: record.entry)
                chunk.append(contentsOf: "}\n".utf8)
            }
        }
    }

    /// An NDJSON answer built from the audit entries from `start` up to the log's size when the
    /// request began (header `exchange-audit-size`), one page in memory at a time: all of them,
    /// or, with `key`, only those the filter index gives for it (the caller's filter still checks
    /// each), so a filtered read grows with what it answers, not with the log. `makeLines`
    /// runs once per answer and gives the function that appends one entry's lines (it may keep
    /// state across the answer's pages). The answer holds the stream's permit until it ends,
    /// writes each page under the stream's deadline and is paced after each page.
    static func ndjsonPages(
        exchange: Exchange, from start: UInt64, through key: AuditFilterKey? = nil, stream: BulkReadStream,
        makeLines: @escaping @Sendable () -> (AuditEntryRecord, inout [UInt8]) throws -> Void
    ) -> Response {
        let end = exchange.auditCount
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", HTTPField.Name("exchange-audit-size")!: String(end)],
            body: ResponseBody { writer in
                defer { stream.permit.release() }
                let lines = makeLines()
                var next = start
                while next < end {
                    let records =
                        if let key {
                            try exchange.auditEntries(matching: key, from: next, limit: Self.maxPageSize)
                        } else {
                            try exchange.auditEntries(from: next, limit: Int(min(UInt64(Self.maxPageSize), end - next)))
                        }
                    guard let last = records.last else { break }
                    var chunk: [UInt8] = []
                    for record in records where record.index < end { try lines(record, &chunk) }
                    // Paced after every page, also one that matched nothing.
                    try await stream.send(chunk, to: &writer)
                    next = last.index + 1
                }
                try await stream.finish(writer)
            })
    }

    // MARK: Helpers

    /// The filter of `request`; a refused query (malformed, or an inverted time range) gives the
    /// stream's slot back at once, before anything is read (its `audit_read` entry, already
    /// written, holds the query).
    static func filter(_ request: Request, releasing stream: BulkReadStream) throws -> AuditEntryFilter {
        do {
            return try AuditEntryFilter(request)
        } catch {
            stream.permit.release()
            throw error
        }
    }

    static func unsigned(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard ExchangeRoutes.isDigits(text), let number = UInt64(text) else {
            throw ProblemError(.badRequest, detail: "\(name) must be a whole number from 0")
        }
        return number
    }
}
