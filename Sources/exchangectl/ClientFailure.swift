import ArgumentParser
import Foundation
import NIOHTTP1

/// A failed client command, printed as one line `error: <code>: <detail>` and ending the
/// process with ``exitCode`` (1 for a failure at run time, 64 for options that cannot work).
struct ClientFailure: Error, CustomStringConvertible {
    /// The stable code: the exchange's problem code when it answered one, else the client's own
    /// (`connection.refused`, `tls.client_certificate_refused`, `config.missing_file`, ...).
    var code: String
    /// What went wrong, and what to do about it where the client can tell.
    var detail: String
    /// The process's exit status.
    var exitCode: Int32

    /// A failure of the client's own with a generic code.
    init(_ message: String) {
        self.init(code: "client.failed", detail: message)
    }

    /// A failure with a stable code of the client's own, e.g. `audit.mismatch`.
    init(code: String, detail: String, exitCode: Int32 = 1) {
        self.code = code
        self.detail = detail
        self.exitCode = exitCode
    }

    /// The failure an error answer describes: its problem document's `code` and `detail`, or
    /// the status when the body is not a problem document.
    init(status: HTTPResponseStatus, body: [UInt8]) {
        struct Problem: Decodable {
            var code: String?
            var detail: String?
            var title: String?
        }
        exitCode = 1
        if let problem = try? JSONDecoder().decode(Problem.self, from: Data(body)), let code = problem.code {
            self.code = code
            detail = problem.detail ?? problem.title ?? status.reasonPhrase
        } else {
            code = "http.\(status.code)"
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            detail = text.isEmpty ? status.reasonPhrase : text
        }
    }

    /// A transport failure (refused connection, TLS handshake, timeout), said in words: what
    /// happened, and what to check.
    /// - Parameters:
    ///   - error: the client library's error.
    ///   - url: the exchange's base URL.
    ///   - connection: the settings used, to name the files involved.
    init(connectionError error: any Error, url: String, connection: Connection? = nil) {
        exitCode = 1
        let text = Self.sanitized("\(error) \(String(reflecting: error))")
        let certificate = connection?.certificatePath.map { " \($0)" } ?? ""
        if text.contains("errno: 111") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            code = "connection.refused"
            detail = "nothing accepts connections at \(url): is exchanged running? (`make run` starts it; set --url or EXCHANGE_URL for another address)"
        } else if text.contains("connectTimeout") || text.contains("ETIMEDOUT") || text.contains("errno: 110") {
            code = "connection.timeout"
            detail = "\(url) did not answer within the connect timeout: check the address and that no firewall drops the connection"
        } else if text.contains("UNKNOWN_CA") || text.contains("CERTIFICATE_REQUIRED") || text.contains("BAD_CERTIFICATE")
            || text.contains("CERTIFICATE_UNKNOWN") || text.contains("CERTIFICATE_REVOKED") || text.contains("CERTIFICATE_EXPIRED")
        {
            code = "tls.client_certificate_refused"
            let reason = ["UNKNOWN_CA": "it was not issued by the exchange's CA", "CERTIFICATE_REQUIRED": "none was presented",
                "CERTIFICATE_EXPIRED": "it has expired", "CERTIFICATE_REVOKED": "it was revoked"]
                .first { text.contains($0.key) }?.value ?? "the exchange does not accept it"
            detail = "the exchange at \(url) refused the client certificate\(certificate) in the TLS handshake: \(reason)"
        } else if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("handshakeFailed") && text.contains("verify") {
            code = "tls.server_not_trusted"
            let authority = connection?.caPath.map { "the CA \($0)" } ?? "the system's trust roots"
            detail = "the server at \(url) presented a certificate that \(authority) does not verify: give the exchange's CA with --ca or EXCHANGE_CA"
        } else if text.contains("failedToLoadPrivateKey") || text.contains("KEY_VALUES_MISMATCH") {
            code = "tls.bad_key"
            detail = "the private key\(connection?.privateKeyPath.map { " \($0)" } ?? "") cannot be used with the certificate\(certificate): it is not a PEM private key or does not belong to that certificate"
        } else if text.contains("failedToLoadCertificate") {
            code = "tls.bad_certificate"
            detail = "the certificate\(certificate) is not a PEM certificate"
        } else if text.contains("remoteConnectionClosed") || text.contains("Connection reset") || text.contains("errno: 104") {
            code = "connection.closed"
            detail = "\(url) closed the connection before answering: check that the URL is the exchange's HTTPS port"
        } else if text.contains("dns") || text.contains("DNS") || text.contains("Name or service not known") {
            code = "connection.unresolved"
            detail = "the host of \(url) could not be resolved"
        } else {
            code = "connection.failed"
            detail = "cannot reach \(url): \(Self.sanitized("\(error)"))"
        }
    }

    /// `text` without source locations of the libraries (` at /path/file.cc:123`), which name
    /// the build machine and say nothing to the reader.
    static func sanitized(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: " at /") {
            result += rest[..<range.lowerBound]
            rest = rest[range.upperBound...]
            // Skip the path up to its end: whitespace, a closing bracket or parenthesis.
            if let end = rest.firstIndex(where: { $0 == " " || $0 == "]" || $0 == ")" || $0 == "," || $0 == "\"" }) {
                rest = rest[end...]
            } else {
                rest = ""
            }
        }
        return result + rest
    }

    /// The line printed for the failure, without the `error: ` prefix.
    var description: String { "\(code): \(detail)" }
}

/// Runs a command body. Kept for the commands that wrap their work in it; failures are printed
/// by ``ExchangeCtl/main()``.
func reportingFailures(_ body: () async throws -> Void) async throws {
    try await body()
}
