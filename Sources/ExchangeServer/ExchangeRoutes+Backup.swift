import ExchangeEngine
import ExchangeIdentity
import ExchangeStore
import Foundation
import HTTPTypes
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
    @Sendable func backup(_ request: Request, context: ExchangeRequestContext) async throws -> Response {
        let principal = try context.requireRole(.operator)
        let copy = try await exchange.backup(actor: principal.actor)
        guard let handle = FileHandle(forReadingAtPath: copy.file) else {
            copy.remove()
            throw ProblemError(.internalError, detail: "the backup copy cannot be read")
        }
        var headers: HTTPFields = [
            .contentType: "application/octet-stream", .contentLength: String(copy.bytes),
        ]
        headers[HTTPField.Name("Exchange-Last-Sequence")!] = String(copy.lastSequence)
        headers[HTTPField.Name("Exchange-Audit-Size")!] = String(copy.auditCount)
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody(contentLength: Int(clamping: copy.bytes)) { writer in
                defer {
                    try? handle.close()
                    copy.remove()
                }
                while true {
                    let chunk = try handle.read(upToCount: Self.backupChunkBytes) ?? Data()
                    if chunk.isEmpty { break }
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            })
    }
}
