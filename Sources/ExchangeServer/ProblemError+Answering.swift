import ExchangeAudit
import ExchangeEngine
public import ExchangeStore
public import ExchangeWire
public import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import NIOHTTP1

extension ProblemError {
    /// The problem answered for any error a handler, middleware or stream meets: the one place
    /// where errors become problem documents (status, `type`, title, detail, code).
    ///
    /// - ``ProblemError``: as is.
    /// - `ExchangeError`: its code from ``ProblemCode/engine(_:)`` with its message as the
    ///   detail, `original_sequence` for a conflicting repeat (`publish.id_conflict`),
    ///   `Retry-After` when the engine says when to try again, and whether the engine
    ///   audited it; an engine error carrying a store error is answered as that store error.
    /// - `StoreError`: `store.full` 507, `store.closed` 503, `store.not_found` 404,
    ///   `store.conflict` 409, `store.invalid_request` 400, every other code `store.failure` 500
    ///   (the store's own code and message are logged, not answered).
    /// - `AuditError` (the exchange's own key or checkpoint failed): `server.internal` 500, logged.
    /// - `DecodingError`: `http.bad_request` 400, with where the document went wrong.
    /// - `HTTPParserError` (a body the HTTP parser refused, e.g. a chunk size that is not a
    ///   number): `http.bad_request` 400.
    /// - Hummingbird's `HTTPError` and other `HTTPResponseError`s by status (see
    ///   ``init(status:detail:)``); too many body bytes 413 `http.body_too_large`.
    /// - Anything else: 500 `server.internal`, with the error logged and not answered.
    /// - Parameters:
    ///   - error: the error.
    ///   - logger: where failures that are not answered in detail are logged.
    public init(answering error: any Error, logger: Logger) {
        switch error {
        case let problem as ProblemError:
            self = problem
        case let exchangeError as ExchangeError:
            if let storeError = exchangeError.storeError {
                self.init(answering: storeError, logger: logger)
            } else if let code = ProblemCode.engine(exchangeError.code) {
                self.init(code, detail: exchangeError.message)
                if let original = exchangeError.originalSequence {
                    integerMembers.append((name: "original_sequence", value: original))
                }
                if let retryAfter = exchangeError.retryAfter {
                    // Whole seconds, rounded up (RFC 9110, 10.2.3).
                    let (seconds, attoseconds) = retryAfter.components
                    headers[.retryAfter] = String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
                }
            } else {
                logger.error("engine failure", metadata: ["error": "\(exchangeError)"])
                self.init(.internalError)
            }
            isAudited = exchangeError.isAudited
        case let storeError as StoreError:
            self.init(storeError)
            if code == .storeFailure { logger.error("store failure", metadata: ["error": "\(storeError)"]) }
        case let auditError as AuditError:
            logger.error("audit failure", metadata: ["error": "\(auditError)"])
            self.init(.internalError)
        case let decodingError as DecodingError:
            self.init(.badRequest, detail: ExchangeRoutes.describe(decodingError))
        case let httpError as HTTPError:
            self.init(status: httpError.status, detail: httpError.body)
        case let parserError as HTTPParserError:
            // A body the parser refused mid-way (HTTPRequestGuard answered it already).
            self.init(.badRequest, detail: HTTPRequestGuard.detail(parserError))
        case is NIOTooManyBytesError:
            self.init(.bodyTooLarge, detail: "the request body is larger than accepted")
        case let responseError as any HTTPResponseError:
            self.init(status: responseError.status, detail: nil)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            self.init(.internalError)
        }
    }

    /// The problem answered for a store error: `store.full` is 507, `store.closed` 503,
    /// `store.not_found` 404, `store.conflict` 409, `store.invalid_request` 400, every other code
    /// `store.failure` 500 (the store's own code and message are not answered).
    /// - Parameter storeError: the store's error.
    public init(_ storeError: StoreError) {
        switch storeError.code {
        case .storeFull: self.init(.storeFull, detail: "the exchange store is full; nothing was written")
        case .closed: self.init(.storeClosed, detail: "the exchange is shutting down")
        case .notFound: self.init(.storeNotFound, detail: storeError.message)
        case .conflict: self.init(.storeConflict, detail: storeError.message)
        case .invalidRequest: self.init(.storeInvalidRequest, detail: storeError.message)
        default: self.init(.storeFailure, detail: "the exchange store failed (\(storeError.code.rawValue))")
        }
    }

    /// The problem for a bare HTTP status (an error response without a body, Hummingbird's
    /// `HTTPError`): 401 `auth.unauthenticated`, 403 `auth.forbidden`, 404 `http.not_found`, 405
    /// `http.method_not_allowed`, 413 `http.body_too_large`, 415 `http.unsupported_media_type`,
    /// 503 `server.not_ready`, other 4xx `http.bad_request`, anything else `server.internal`.
    /// - Parameters:
    ///   - status: the status.
    ///   - detail: the explanation, if any.
    public init(status: HTTPResponse.Status, detail: String?) {
        switch status.code {
        case 401: self.init(.unauthenticated, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
        case 403: self.init(.forbidden, detail: detail)
        case 404: self.init(.notFound, detail: detail ?? "no route matches this path")
        case 405: self.init(.methodNotAllowed, detail: detail)
        case 413: self.init(.bodyTooLarge, detail: detail)
        case 415: self.init(.unsupportedMediaType, detail: detail)
        case 503: self.init(.notReady, detail: detail)
        case 400..<500: self.init(.badRequest, detail: detail)
        default: self.init(.internalError)
        }
    }
}
