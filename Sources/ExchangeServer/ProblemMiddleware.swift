import ExchangeEngine
import ExchangeIdentity
import ExchangeWire
import HTTPTypes
public import Hummingbird
public import Logging

/// Turns every error, and every bare error response, into an RFC 9457 problem document, and
/// reports every 4xx answer that the engine did not audit itself, and every bulk read refused
/// for the budget (503 `replay.busy`), to the refusal observer.
///
/// Handlers throw what they meet (engine, store and audit errors, problems);
/// ``ProblemError/init(answering:logger:)`` is the one mapping to problem documents.
public struct ProblemMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    let refusalObserver: RefusalObserver
    let logger: Logger

    /// Creates the middleware.
    /// - Parameters:
    ///   - refusalObserver: receives each refusal to audit.
    ///   - logger: where unexpected errors are logged.
    public init(refusalObserver: @escaping RefusalObserver, logger: Logger) {
        self.refusalObserver = refusalObserver
        self.logger = logger
    }

    /// Runs the rest of the chain and answers its errors as problems.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let problem: ProblemError
        do {
            let response = try await next(request, context)
            guard response.status.code >= 400, response.headers[.contentType] == nil else { return response }
            problem = ProblemError(status: response.status, detail: nil)
        } catch {
            problem = ProblemError(answering: error, logger: logger)
        }
        if (400..<500).contains(problem.code.status.code) || problem.code == .replayBusy, !problem.isAudited {
            await refusalObserver(Self.refusal(problem, request: request, context: context))
        }
        return problem.response(instance: request.uri.path)
    }

    /// The refusal of `request`, answered with `problem`, for the audit log.
    static func refusal(_ problem: ProblemError, request: Request, context: ExchangeRequestContext) -> RequestRefusal {
        RequestRefusal(
            actor: context.principal?.actor, role: context.principal?.role.rawValue,
            source: context.channel.remoteAddress?.ipAddress ?? "unknown", method: request.method.rawValue,
            path: request.uri.path, status: Int(problem.code.status.code), code: problem.code.rawValue, detail: problem.detail)
    }
}
