import ExchangeWire
import HTTPTypes
public import Hummingbird
import NIOCore

/// Refuses bodies declared larger than `limits.max_request_body` (413 `http.body_too_large`)
/// and sets ``ExchangeRequestContext/maxUploadSize`` so that streamed bodies are cut at the same
/// size by ``ExchangeRequestContext/collectBody(_:)``.
public struct BodyLimitMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    let maxRequestBody: Int

    /// Creates the middleware.
    /// - Parameter maxRequestBody: the largest body accepted, bytes.
    public init(maxRequestBody: Int) {
        self.maxRequestBody = maxRequestBody
    }

    /// Checks `Content-Length` and runs the rest of the chain.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maxRequestBody
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxRequestBody {
            throw ProblemError(.bodyTooLarge, detail: "the body is \(length) bytes; at most \(maxRequestBody) are accepted")
        }
        return try await next(request, context)
    }
}

extension ExchangeRequestContext {
    /// The whole request body, at most ``maxUploadSize`` bytes.
    /// - Parameter request: the request.
    /// - Throws: 413 `http.body_too_large` past the limit.
    public func collectBody(_ request: Request) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: maxUploadSize)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ProblemError(.bodyTooLarge, detail: "the body is larger than \(maxUploadSize) bytes")
        }
    }
}
