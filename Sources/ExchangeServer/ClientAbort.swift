import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A request its client abandoned: the connection failed while the request was still being
/// read (a TCP reset, a TLS connection closed without `close_notify`, the end of the stream
/// before the body's declared length), so nobody is left to read an answer.
///
/// Anyone can cause one, as often as they open connections, so it is not a failure of the
/// exchange: ``ProblemMiddleware`` answers nothing, counts it
/// (`exchange_requests_aborted_total`) and logs it at debug, and ``RequestLoggingMiddleware``
/// logs the request with status 499 ("client closed request", as nginx does) at info. Only
/// the I/O errors of the connection are aborts; a request whose content is wrong (a chunk size
/// that is not a number, a body over the limit) is answered as a bad request.
struct ClientAbort: Error, CustomStringConvertible {
    /// The status the access log records: 499, "client closed request".
    static let status = 499

    /// What ended the connection, for the debug line.
    let cause: String

    var description: String { "the client closed the connection before its request was read (\(cause))" }

    /// The abort `error` is, or `nil` when it is not one.
    init?(_ error: any Error) {
        guard Self.isConnectionFailure(error) else { return nil }
        cause = String(describing: error)
    }

    /// Whether `error` is the connection's failing rather than anything about the request.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        switch error {
        case is ClientAbort:
            return true
        case let tls as NIOSSLError:
            return tls == .uncleanShutdown
        case let io as IOError:
            return [ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT].contains(io.errnoCode)
        case let channel as ChannelError:
            switch channel {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .inputClosed, .outputClosed: return true
            default: return false
            }
        case let parser as HTTPParserError:
            // The stream ended inside a body: the client went away mid-request.
            return parser == .invalidEOFState
        default:
            return false
        }
    }
}
