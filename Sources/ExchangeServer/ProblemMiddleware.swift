import ExchangeEngine
import ExchangeModel
import ExchangeStore
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Turns every error, and every bare error response, into an RFC 9457 problem document, and
/// reports every 4xx answer that the engine did not audit itself to the refusal observer.
///
/// Mapping: ``ProblemError`` as is; `StoreError` by ``StoreError/problem``; Hummingbird's
/// `HTTPError` by status (404 `http.not_found`, 405 `http.method_not_allowed`, 413
/// `http.body_too_large`, 415 `http.unsupported_media_type`, other 4xx `http.bad_request`);
/// too many body bytes 413 `http.body_too_large`; anything else 500 `server.internal`, with the
/// error logged and not answered.
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
            problem = Self.problem(status: response.status, detail: nil)
        } catch {
            problem = Self.problem(for: error, logger: logger)
        }
        if (400..<500).contains(problem.code.status.code), !problem.isAudited {
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

    /// The problem answered for `error`.
    public static func problem(for error: any Error, logger: Logger) -> ProblemError {
        switch error {
        case let problem as ProblemError:
            return problem
        case let storeError as StoreError:
            let problem = storeError.problem
            if problem.code == .storeFailure { logger.error("store failure", metadata: ["error": "\(storeError)"]) }
            return problem
        case let httpError as HTTPError:
            return problem(status: httpError.status, detail: httpError.body)
        case is NIOTooManyBytesError:
            return ProblemError(.bodyTooLarge, detail: "the request body is larger than accepted")
        case let responseError as any HTTPResponseError:
            return problem(status: responseError.status, detail: nil)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return ProblemError(.internalError)
        }
    }

    static func problem(status: HTTPResponse.Status, detail: String?) -> ProblemError {
        switch status.code {
        case 401: ProblemError(.unauthenticated, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
        case 403: ProblemError(.forbidden, detail: detail)
        case 404: ProblemError(.notFound, detail: detail ?? "no route matches this path")
        case 405: ProblemError(.methodNotAllowed, detail: detail)
        case 413: ProblemError(.bodyTooLarge, detail: detail)
        case 415: ProblemError(.unsupportedMediaType, detail: detail)
        case 503: ProblemError(.notReady, detail: detail)
        case 400..<500: ProblemError(.badRequest, detail: detail)
        default: ProblemError(.internalError)
        }
    }
}
