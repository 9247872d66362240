import ArgumentParser
import Foundation
import NIOHTTP1

/// A failed client command, printed as one line `error: <code>: <detail>` (or `error: <message>`).
struct ClientFailure: Error, CustomStringConvertible {
    /// The problem's stable code, when the exchange answered one.
    var code: String?
    /// What went wrong.
    var detail: String

    init(_ message: String) {
        code = nil
        detail = message
    }

    /// A failure with a stable code of the client's own, e.g. `audit.mismatch`.
    init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The failure an error answer describes: its problem document's `code` and `detail`, or
    /// the status when the body is not a problem document.
    init(status: HTTPResponseStatus, body: [UInt8]) {
        struct Problem: Decodable {
            var code: String?
            var detail: String?
            var title: String?
        }
        if let problem = try? JSONDecoder().decode(Problem.self, from: Data(body)), let code = problem.code {
            self.code = code
            detail = problem.detail ?? problem.title ?? status.reasonPhrase
        } else {
            code = "http.\(status.code)"
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            detail = text.isEmpty ? status.reasonPhrase : text
        }
    }

    /// A transport failure: refused connection, TLS handshake, timeout.
    init(connectionError error: any Error, url: String) {
        code = nil
        detail = "cannot reach \(url): \(error)"
    }

    /// The line printed for the failure, without the `error: ` prefix.
    var description: String {
        code.map { "\($0): \(detail)" } ?? detail
    }
}

/// Runs a command body, printing a ``ClientFailure`` as `error: ...` and exiting with status 1.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as ClientFailure {
        printError("error: \(failure)")
        throw ExitCode(1)
    }
}
