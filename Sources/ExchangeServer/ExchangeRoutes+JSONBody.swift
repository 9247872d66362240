import ExchangeWire
import Foundation
import HTTPTypes
import Hummingbird

extension ExchangeRoutes {
    /// Refuses a request body not declared as JSON: 415 `http.unsupported_media_type` unless
    /// `Content-Type` is `application/json` (parameters such as `charset` allowed, case
    /// ignored). Checked before the body is read.
    /// - Parameter request: the request.
    static func requireJSONContentType(_ request: Request) throws {
        let declared = request.headers[.contentType]
        let mediaType = declared.map { text in
            text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            let shown = declared.map { "'\(String($0.prefix(80)))'" } ?? "none"
            throw ProblemError(.unsupportedMediaType, detail: "the body must be sent as Content-Type: application/json (got \(shown))")
        }
    }
}
