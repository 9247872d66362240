public import CoreMetrics
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeWire
import HTTPTypes
public import Hummingbird
public import Logging

/// Turns every error, and every bare error response, into an RFC 9457 problem document,
/// reports every 4xx answer that the engine did not audit itself, and every bulk read refused
/// for the budget (503 `replay.busy`), to the refusal observer, and logs every 4xx answer with
/// its reason and path (``logRefusal(_:request:context:)``). A request its client abandoned
/// while it was read (``ClientAbort``) gets no answer: it is counted
/// (`exchange_requests_aborted_total`), logged at debug, and thrown on as a ``ClientAbort``.
///
/// Handlers throw what they meet (engine, store and audit errors, problems);
/// ``ProblemError/init(answering:logger:)`` is the one mapping to problem documents.
public struct ProblemMiddleware: RouterMiddleware {
    /// The context the middleware runs in.
    public typealias Context = ExchangeRequestContext

    let refusalObserver: RefusalObserver
    let logger: Logger
    let aborted: CoreMetrics.Counter?

    /// Creates the middleware.
    /// - Parameters:
    ///   - refusalObserver: receives each refusal to audit.
    ///   - logger: where refusals and unexpected errors are logged.
    ///   - aborted: counts requests their client abandoned (``ConnectionMetrics/abortedRequests``).
    public init(refusalObserver: @escaping RefusalObserver, logger: Logger, aborted: CoreMetrics.Counter? = nil) {
        self.refusalObserver = refusalObserver
        self.logger = logger
        self.aborted = aborted
    }

    /// Runs the rest of the chain and answers its errors as problems.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let problem: ProblemError
        do {
            let response = try await next(request, context)
            guard response.status.code >= 400, response.headers[.contentType] == nil else { return response }
            problem = ProblemError(status: response.status, detail: nil)
        } catch {
            if let abort = ClientAbort(error) {
                aborted?.increment()
                logger.debug(
                    "request aborted by the client",
                    metadata: [
                        "cause": "\(AuditEvent.bounded(abort.cause))", "method": "\(request.method.rawValue)",
                        "path": "\(AuditEvent.bounded(request.uri.path))", "source": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")",
                    ])
                throw abort
            }
            problem = ProblemError(answering: error, logger: logger)
        }
        if (400..<500).contains(problem.code.status.code) {
            logRefusal(problem, request: request, context: context)
        }
        if (400..<500).contains(problem.code.status.code) || problem.code == .replayBusy, !problem.isAudited {
            await refusalObserver(Self.refusal(problem, request: request, context: context))
        }
        return problem.response(instance: request.uri.path)
    }

    /// Logs a 4xx answer: `access denied` for 401 and 403, `request refused` for the others,
    /// with `reason` (the problem's detail, or its status text), `code`, `status`, `method`,
    /// `path` (at most 256 bytes), `actor` and `role` (`anonymous`, `none` without a principal;
    /// the actor a revoked certificate or an expired token names) and `source` (the peer's
    /// address). At info when the caller was identified (also by a refused credential), at debug
    /// otherwise: anyone can cause anonymous refusals, which the audit log counts
    /// (`AnonymousRefusals`).
    func logRefusal(_ problem: ProblemError, request: Request, context: ExchangeRequestContext) {
        let status = problem.code.status.code
        logger.log(
            level: context.principal == nil && context.refusedActor == nil ? .debug : .info,
            status == 401 || status == 403 ? "access denied" : "request refused",
            metadata: [
                "reason": "\(AuditEvent.bounded(problem.detail ?? problem.code.status.reasonPhrase))", "code": "\(problem.code.rawValue)",
                "status": "\(status)", "method": "\(request.method.rawValue)", "path": "\(AuditEvent.bounded(request.uri.path))",
                "actor": "\(context.principal?.actor ?? context.refusedActor ?? "anonymous")", "role": "\(context.principal?.role.rawValue ?? "none")",
                "source": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")",
            ])
    }

    /// The refusal of `request`, answered with `problem`, for the audit log.
    static func refusal(_ problem: ProblemError, request: Request, context: ExchangeRequestContext) -> RequestRefusal {
        RequestRefusal(
            actor: context.principal?.actor ?? context.refusedActor, role: context.principal?.role.rawValue,
            source: context.channel.remoteAddress?.ipAddress ?? "unknown", method: request.method.rawValue,
            path: request.uri.path, status: Int(problem.code.status.code), code: problem.code.rawValue, detail: problem.detail)
    }
}
