import HTTPTypes
public import Hummingbird
public import Logging

/// Logs one line per request: method, path (without query), status, duration and principal —
/// never headers, query strings or bodies, which may carry secrets.
///
/// Successful requests are logged at debug, refusals and other 4xx at info, 5xx at warning. A
/// request its client abandoned while it was read (``ClientAbort``) is logged with status 499
/// at info: anyone can cause one, so it is no warning.
public struct RequestLoggingMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    let logger: Logger

    /// Creates the middleware.
    /// - Parameter logger: where the lines go.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Times the rest of the chain and logs its outcome.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status: Int = 500
        defer {
            let elapsed = start.duration(to: .now)
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            let level: Logger.Level = status >= 500 ? .warning : status >= 400 ? .info : .debug
            logger.log(
                level: level, "request",
                metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
                    "ms": "\((milliseconds * 1000).rounded() / 1000)",
                    "principal": "\(context.principal.map { "\($0)" } ?? "none")",
                ])
        }
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            return response
        } catch let abort as ClientAbort {
            status = ClientAbort.status
            throw abort
        }
    }
}
