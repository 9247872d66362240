import ExchangeEngine
import ExchangeIdentity
import ExchangeStore
import Foundation
import HTTPTypes
import Logging
import Hummingbird
import NIOCore
import ExchangeWire

extension ExchangeRoutes {
    /// The bytes read from the copy and written to the response at a time.
    static let backupChunkBytes = 1 << 20

    /// `POST /v1/operation/backup` (operator token): a hot backup. The exchange writes a
    /// consistent, compacted copy of its store (an LMDB environment file) beside it, audits it
    /// (`backup`), and answers the copy as `application/octet-stream` with its length and the
    /// last sequence and audit size it holds at least (`Exchange-Last-Sequence`,
    /// `Exchange-Audit-Size`), then removes its own copy. `exchangectl backup` saves and
    /// verifies it.
    ///
    /// The request has no body (one is refused, 400, before anything is copied). One backup
    /// runs at a time: another is refused with 503 `replay.busy` and `Retry-After`. Each chunk
    /// of the copy must be taken by the client within `bulk_reads.write_timeout`; past it the
    /// connection is closed, and the copy removed at once, as it is when the client goes away.
    @Sendable func backup(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.operator)
        try await Self.refuseBody(request, context: context)
        let backup = try await exchange.backup(actor: principal.actor)
        guard let copy = backup.copy, let handle = FileHandle(forReadingAtPath: copy.file) else {
            backup.end()
            throw ProblemError(.internalError, detail: "the backup copy cannot be read")
        }
        var headers: HTTPFields = [
            .contentType: "application/octet-stream", .contentLength: String(copy.bytes),
        ]
        headers[HTTPField.Name("Exchange-Last-Sequence")!] = String(copy.lastSequence)
        headers[HTTPField.Name("Exchange-Audit-Size")!] = String(copy.auditCount)
        let channel = context.channel
        let writeTimeout = TimeAmount(exchange.bulkReads.configuration.writeTimeout)
        let logger = self.logger
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: Int(clamping: copy.bytes)) { writer in
                defer {
                    try? handle.close()
                    backup.end()
                }
                // Ends the backup if the write that follows has not finished within the write
                // timeout: the copy goes at once, and closing the connection fails the write.
                func armDeadline() -> Scheduled<Void> {
                    channel.eventLoop.scheduleTask(in: writeTimeout) {
                        guard !backup.isEnded else { return }
                        logger.warning(
                            "backup ended: the client did not take a chunk within bulk_reads.write_timeout",
                            metadata: ["actor": "\(principal.actor)"])
                        backup.end()
                        channel.close(promise: nil)
                    }
                }
                while true {
                    let chunk = try handle.read(upToCount: Self.backupChunkBytes) ?? Data()
                    if chunk.isEmpty { break }
                    guard !backup.isEnded else { throw BulkReadEnded() }
                    let deadline = armDeadline()
                    defer { deadline.cancel() }
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                let deadline = armDeadline()
                defer { deadline.cancel() }
                try await writer.finish(nil)
            })
    }

    /// Refuses a request body where the endpoint takes none (400 `http.bad_request`): a
    /// declared length other than 0, or any byte of a chunked body.
    static func refuseBody(_ request: Request, context: ExchangeRequestContext) async throws {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        guard declared != 0, declared != nil || request.headers[.transferEncoding] != nil else { return }
        do {
            _ = try await request.body.collect(upTo: 0)
        } catch is NIOTooManyBytesError {
            throw ProblemError(.badRequest, detail: "\(request.uri.path) takes no request body")
        }
    }
}
