import CoreMetrics
import Foundation
import ExchangeWire
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Sits right after the HTTP decoder and upgrade handler of every connection: marks the
/// connection busy from each request head to the end of its response, answers what never
/// reaches the router, and removes itself when the connection becomes a WebSocket stream.
/// A console form (`POST /console/...`, however the target spells that path: see
/// ``targetsConsole(_:)``) on a connection without a client certificate is read as
/// ``ConnectionPhase/readingConsoleForm``: evictable, under a short deadline.
///
/// Answered here, each with `Connection: close` and the connection then closed:
/// - a request the HTTP parser refuses (a garbage request line, headers over the decoder's
///   limits, both `Content-Length` and `Transfer-Encoding`, two `Content-Length`s): 400
///   `http.bad_request` as `application/problem+json`;
/// - a request whose `Transfer-Encoding` names a coding other than `chunked` (e.g. `gzip,
///   chunked`): 501 `http.unsupported_transfer_coding` (RFC 9112 §6.1), before any of its body is
///   read;
/// - a WebSocket upgrade without one `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13`: 400
///   `http.bad_request`;
/// - `CONNECT`, which opens no tunnel here: 405 `http.method_not_allowed`;
/// - a WebSocket upgrade that is not the first request on its connection (only the first is
///   upgraded; the framework answered a later one with an empty redirect to its own path, which
///   a path such as `//host/x` made a redirect elsewhere): 400 `http.bad_request`;
/// - a WebSocket upgrade the router refused: the router's own answer (401 `auth.unauthenticated`
///   for a client without certificate or token, 404, ...), which
///   ``WebSocketRefusalMiddleware`` hands over in ``upgradeRefusal``, instead of the framework's
///   empty 400.
///
/// An HTTP/1.0 request gets no chunked answer (RFC 9112 §6.1: a server must not send a
/// transfer coding to an HTTP/1.0 client, which cannot read it): its response head says
/// HTTP/1.0, and the connection closes after the response (`Connection: close`) unless the
/// request asked for `Connection: keep-alive` (answered with it) and the response has a
/// `Content-Length`. A response without one (a streamed replay or export) is sent as it is and
/// ended by the close; so is the answer to an HTTP/1.0 request that came chunked (§6.1).
///
/// A parse error while a response is still owed is answered after it; a parse error in the body
/// of the one request in progress, before its response began, is its answer. A parse error in a
/// body is passed on as well, so the handler reading the body fails rather than taking what it
/// read as the whole body; the end of the connection inside a body is passed on alone (the
/// client went away: ``ClientAbort``).
final class HTTPRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let activity: ConnectionActivity
    private var requestsInProgress = 0
    /// A request head arrived and its body has not ended yet.
    private var readingBody = false
    /// A response head was written and its end not yet.
    private var responseStarted = false
    /// The answer owed once the responses in progress are written.
    private var pendingAnswer: PreparedResponse?
    /// Set once this handler answered: the connection is closing and takes nothing more.
    private var hasAnswered = false
    /// The router's answer to a refused WebSocket upgrade on this connection.
    var upgradeRefusal: PreparedResponse?
    /// What the requests whose response heads are owed ask of their answers, oldest first.
    private var requestFraming: [RequestFraming] = []

    /// What a request asks of its answer's framing.
    private struct RequestFraming {
        /// `nil` for HTTP/1.1 and later; for HTTP/1.0, whether the connection may stay open
        /// after the response (the request asked for keep-alive and came without a coding).
        var http10KeepAlive: Bool?
        /// The request asked for an upgrade that was not made: the HTTP parser reads nothing
        /// after it, so the connection closes after the answer.
        var closesAfter: Bool
    }
    /// The connection closes after the end of the response being written: it answers an
    /// HTTP/1.0 request that may not keep the connection (or has no length), or a request whose
    /// upgrade was not made (``RequestFraming/closesAfter``).
    private var closeAfterResponse = false
    /// Request heads seen on this connection.
    private var requestsSeen = 0
    /// A request body the parser refused is being answered by the handler that read it: the
    /// connection closes once every response owed is written, and takes nothing more.
    private var closeWhenAnswered = false
    /// A request head was refused here: nothing more is passed on (its body and what follows
    /// would reach the framework without their head), and the connection closes once the
    /// refusal is written after the responses still owed.
    private var discardingInput = false

    init(activity: ConnectionActivity) {
        self.activity = activity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !hasAnswered, !discardingInput else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestsInProgress += 1
            requestsSeen += 1
            let isHTTP10 = head.version.major == 1 && head.version.minor == 0
            requestFraming.append(
                RequestFraming(
                    http10KeepAlive: isHTTP10 ? head.isKeepAlive && !head.headers.contains(name: "transfer-encoding") : nil,
                    closesAfter: head.headers.contains(name: UpgradeHeaderFilter.upgradeIgnoredHeader)
                        || UpgradeHeaderFilter.connectionAsksForUpgrade(head.headers)))
            readingBody = true
            activity.requestStarted(consoleForm: head.method == .POST && Self.targetsConsole(head.uri))
            if let coding = Self.unsupportedTransferCoding(head.headers) {
                activity.metrics.badRequests.increment()
                rejectHead(
                    ProblemError(.unsupportedTransferCoding, detail: "the transfer coding '\(coding.prefix(64))' is not implemented: send the body as is or chunked"),
                    context: context)
                return
            }
            if head.method == .CONNECT {
                activity.metrics.badRequests.increment()
                rejectHead(ProblemError(.methodNotAllowed, detail: "CONNECT opens no tunnel here"), context: context)
                return
            }
            if let reason = head.headers.first(name: UpgradeHeaderFilter.refusalHeader) {
                activity.metrics.badRequests.increment()
                rejectHead(ProblemError(.badRequest, detail: reason), context: context)
                return
            }
            // Only the first request can be upgraded (UpgradeHeaderFilter took another
            // protocol's `Upgrade` out of that one before the upgrade handler).
            if requestsSeen > 1, UpgradeHeaderFilter.asksForWebSocket(head.headers) {
                activity.metrics.badRequests.increment()
                rejectHead(
                    ProblemError(.badRequest, detail: "a WebSocket upgrade must be the first request on its connection: open a new connection for it"),
                    context: context)
                return
            }
        case .end:
            readingBody = false
            activity.requestBodyEnded()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    /// Whether a request target names a path under `/console` as the router reads it: the
    /// path of an origin-form or absolute-form target (`https://host/console/signin`), empty
    /// segments skipped (`//console/signin`), the first compared without case. Comparing the
    /// raw target let those spellings reach the sign-in form under the long body deadline,
    /// never evicted.
    static func targetsConsole(_ target: String) -> Bool {
        let path = URI(target).path
        guard let first = path.split(separator: "/", omittingEmptySubsequences: true).first else { return false }
        return first.lowercased() == "console"
    }

    /// The first coding of the request's `Transfer-Encoding` that is not `chunked`, or `nil`.
    static func unsupportedTransferCoding(_ headers: HTTPHeaders) -> Substring? {
        for value in headers[canonicalForm: "transfer-encoding"] {
            let coding = value.trimmingCharacters(in: .whitespaces)
            if coding.lowercased() != "chunked" { return Substring(coding) }
        }
        return nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !hasAnswered else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let isEnd: Bool
        switch unwrapOutboundIn(data) {
        case .head(let head):
            responseStarted = true
            isEnd = false
            if !requestFraming.isEmpty {
                let framing = requestFraming.removeFirst()
                var head = head
                if let mayKeepAlive = framing.http10KeepAlive {
                    head = http10(head, mayKeepAlive: mayKeepAlive && !framing.closesAfter)
                } else if framing.closesAfter {
                    head.headers.replaceOrAdd(name: "connection", value: "close")
                    closeAfterResponse = true
                }
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
        case .end:
            responseStarted = false
            isEnd = true
            if closeAfterResponse || (closeWhenAnswered && requestsInProgress <= 1) {
                closeAfterResponse = false
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                if let promise { written.futureResult.cascade(to: promise) }
                context.writeAndFlush(data, promise: written)
                requestsInProgress = max(0, requestsInProgress - 1)
                activity.responseCompleted()
                return
            }
        case .body: isEnd = false
        }
        context.write(data, promise: promise)
        guard isEnd else { return }
        requestsInProgress = max(0, requestsInProgress - 1)
        activity.responseCompleted()
        if requestsInProgress == 0, let pendingAnswer {
            self.pendingAnswer = nil
            answer(pendingAnswer, context: context)
        }
    }

    /// `head` as an answer to an HTTP/1.0 request: version 1.0, so that the encoder adds no
    /// chunked coding; `Connection: keep-alive` when the connection stays open, which it does
    /// only when `mayKeepAlive` and the body has a length (or none); else `Connection: close`,
    /// with the connection closed after the response (``closeAfterResponse``).
    private func http10(_ head: HTTPResponseHead, mayKeepAlive: Bool) -> HTTPResponseHead {
        var head = head
        head.version = .http1_0
        let code = head.status.code
        let hasBody = !(100..<200).contains(code) && code != 204 && code != 304
        let delimited = !hasBody || head.headers.contains(name: "content-length")
        if !delimited { head.headers.remove(name: "transfer-encoding") }
        if mayKeepAlive, delimited {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        } else {
            head.headers.replaceOrAdd(name: "connection", value: "close")
            closeAfterResponse = true
        }
        return head
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let parserError as HTTPParserError where parserError == .invalidEOFState && readingBody:
            // The connection ended inside a request body: the client went away, and nobody is
            // left to read an answer. The handler reading the body fails with it (a request
            // its client abandoned, see ClientAbort) instead of taking the part read as whole.
            context.fireErrorCaught(error)
        case let parserError as HTTPParserError:
            activity.metrics.badRequests.increment()
            let inBody = readingBody && requestsInProgress > 0
            if inBody, responseStarted || requestsInProgress > 1 {
                // Responses are owed before this one, or its own began: the handler reading the
                // body answers it (with this error, as a bad request) in its turn, and that is
                // its one answer; the connection closes after the last response owed.
                closeWhenAnswered = true
                discardingInput = true
                context.fireErrorCaught(error)
                return
            }
            reject(ProblemError(.badRequest, detail: Self.detail(parserError)), context: context)
            // The handler reading this body (a chunk size that is not a number) fails with the
            // parse error, answered as this bad request, instead of taking the part read as whole.
            if inBody { context.fireErrorCaught(error) }
        case let upgradeError as NIOWebSocketUpgradeError where upgradeError == .invalidUpgradeHeader:
            activity.metrics.badRequests.increment()
            reject(
                ProblemError(.badRequest, detail: "a WebSocket upgrade needs one Sec-WebSocket-Key and Sec-WebSocket-Version: 13"),
                context: context)
        case let upgradeError as NIOWebSocketUpgradeError where upgradeError == .unsupportedWebSocketTarget:
            let refusal = upgradeRefusal ?? PreparedResponse(problem: ProblemError(.badRequest, detail: "the WebSocket upgrade was refused"), instance: nil)
            upgradeRefusal = nil
            answer(refusal, context: context)
        default:
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let upgradeEvent = event as? HTTPServerUpgradeEvents, case .upgradeComplete = upgradeEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        activity.upgraded()
        context.fireUserInboundEventTriggered(event)
        // From here on the connection carries WebSocket frames, not HTTP parts.
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Refuses the request whose head just arrived, which is not passed on: answers `problem`
    /// once the responses owed to the requests before it are written (at once when there are
    /// none), and passes on nothing more, so that the framework sees neither its body nor what
    /// a client pipelined after it.
    private func rejectHead(_ problem: ProblemError, context: ChannelHandlerContext) {
        requestsInProgress -= 1
        readingBody = false
        discardingInput = true
        let response = PreparedResponse(problem: problem, instance: nil)
        if requestsInProgress == 0 {
            answer(response, context: context)
        } else if pendingAnswer == nil {
            pendingAnswer = response
        }
    }

    /// Answers `problem` now, or after the responses still owed. A request whose body the
    /// parser refused can never end, so its answer cannot wait for it: unless its response has
    /// begun, the problem is its answer, at once.
    private func reject(_ problem: ProblemError, context: ChannelHandlerContext) {
        let response = PreparedResponse(problem: problem, instance: nil)
        if readingBody && !responseStarted && requestsInProgress == 1 {
            answer(response, context: context)
        } else if requestsInProgress > 0 {
            if pendingAnswer == nil { pendingAnswer = response }
        } else {
            answer(response, context: context)
        }
    }

    private func answer(_ response: PreparedResponse, context: ChannelHandlerContext) {
        guard !hasAnswered else { return }
        hasAnswered = true
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let activity = self.activity
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
            // The TLS close waits for the peer's close_notify: read it even when nothing after
            // this handler asks for input, and give the peer a second at most.
            context.read()
            context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { activity.closeAbruptly() }
        }
    }

    /// What the client did wrong, in words safe to answer.
    static func detail(_ error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow: "the request head is larger than accepted"
        case .unexpectedContentLength: "the request has an ambiguous length (Content-Length with Transfer-Encoding, or two Content-Lengths)"
        case .invalidContentLength: "the request has an invalid Content-Length"
        case .invalidChunkSize: "the request has an invalid chunk size"
        case .invalidMethod: "the request line has an invalid method"
        case .invalidURL: "the request line has an invalid target"
        case .invalidVersion: "the request line has an invalid HTTP version"
        case .invalidHeaderToken: "the request has an invalid header"
        default: "the request is not valid HTTP/1.1"
        }
    }
}
