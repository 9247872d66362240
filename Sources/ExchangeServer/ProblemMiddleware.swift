import ExchangeModel
import ExchangeStore
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore

/// Turns every error, and every bare error response, into an RFC 9457 problem document, and
/// reports 401 and 403 answers to the refusal observer.
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
    ///   - refusalObserver: receives each refusal as an `access_denied` audit event.
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
        if problem.code.status == .unauthorized || problem.code.status == .forbidden {
            await refusalObserver(Self.refusal(problem, request: request, principal: context.principal))
        }
        return problem.response(instance: request.uri.path)
    }

    /// The audit event of a refusal.
    static func refusal(_ problem: ProblemError, request: Request, principal: Principal?) -> AuditEvent {
        var fields: [String: AuditValue] = [
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "status": .integer(Int64(problem.code.status.code)),
            "code": .string(problem.code.rawValue),
        ]
        if let detail = problem.detail { fields["reason"] = .string(detail) }
        if let principal { fields["role"] = .string(principal.role.rawValue) }
        return AuditEvent(kind: .accessDenied, actor: principal?.actor ?? "anonymous", fields: fields)
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
