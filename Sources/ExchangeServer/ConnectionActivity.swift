import CoreMetrics
import ExchangeConfig
import NIOCore

/// One connection's phase and the deadline of that phase, kept on the connection's event loop
/// by the handlers that observe it: ``ConnectionAdmissionHandler`` (opened, closed),
/// ``TLSActivityHandler`` (handshake done, bytes arriving) and ``HTTPRequestGuard`` (request
/// heads, response ends, upgrades).
///
/// Each phase has its deadline: the handshake ``ConnectionLimits/handshakeTimeout``, waiting for
/// a request ``ConnectionLimits/idleTimeout``, reading a head
/// ``ConnectionLimits/requestHeadTimeout``, reading its body ``ConnectionLimits/requestBodyTimeout``
/// (a console form on a connection without a client certificate:
/// ``ConnectionLimits/consoleFormTimeout``, if shorter);
/// a request being handled and a WebSocket stream have none. A deadline that passes closes the connection and counts the timeout. Every change of
/// phase is told to the ``ConnectionGovernor``.
final class ConnectionActivity {
    let governor: ConnectionGovernor
    let ticket: ConnectionGovernor.Ticket
    let limits: ConnectionLimits
    let metrics: ConnectionMetrics
    private(set) var phase: ConnectionPhase = .handshaking
    /// Whether the handshake named a client certificate.
    private(set) var hasClientCertificate = false
    private var requestsInProgress = 0
    private var deadline: Scheduled<Void>?
    private var isClosed = false
    /// The context of the pipeline's first handler: a close issued there skips the handlers
    /// after it, so the TLS handler does not wait for the peer's `close_notify`.
    private var headContext: ChannelHandlerContext?

    init(governor: ConnectionGovernor, ticket: ConnectionGovernor.Ticket, limits: ConnectionLimits, metrics: ConnectionMetrics) {
        self.governor = governor
        self.ticket = ticket
        self.limits = limits
        self.metrics = metrics
    }

    /// The connection was accepted: the handshake deadline starts.
    func opened(headContext: ChannelHandlerContext) {
        self.headContext = headContext
        schedule(.handshake)
    }

    /// The TLS handshake completed: the connection waits for its first request, unless the
    /// client certificate it presented already holds its share of connections, in which case
    /// the connection is closed.
    /// - Parameter certificate: a digest of the client certificate, `nil` without one.
    /// - Returns: whether the connection goes on.
    @discardableResult
    func handshakeCompleted(certificate: [UInt8]? = nil) -> Bool {
        if let certificate, !governor.claim(ticket, certificate: certificate) {
            closeAbruptly()
            return false
        }
        hasClientCertificate = certificate != nil
        move(to: .waiting)
        return true
    }

    /// Decrypted bytes arrived: the first of a request starts its head deadline.
    func bytesReceived() {
        if phase == .waiting { move(to: .readingHead) }
    }

    /// A request head was read completely: its body's deadline starts.
    /// - Parameter consoleForm: the request posts a console form; without a client certificate
    ///   its body is read as ``ConnectionPhase/readingConsoleForm``.
    func requestStarted(consoleForm: Bool = false) {
        requestsInProgress += 1
        move(to: consoleForm && !hasClientCertificate ? .readingConsoleForm : .readingBody)
    }

    /// A request's body ended: the request is handled without a deadline.
    func requestBodyEnded() {
        if phase == .readingBody || phase == .readingConsoleForm { move(to: .busy) }
    }

    /// A response was written completely; with no other request in progress the connection
    /// waits for the next.
    func responseCompleted() {
        requestsInProgress = max(0, requestsInProgress - 1)
        if requestsInProgress == 0, phase == .busy || phase == .readingBody || phase == .readingConsoleForm {
            move(to: .waiting)
        }
    }

    /// The connection became a WebSocket stream.
    func upgraded() {
        move(to: .streaming)
    }

    /// Closes the connection at once, without a TLS `close_notify`.
    func closeAbruptly() {
        if let headContext { headContext.close(promise: nil) }
    }

    /// The connection closed: its deadline is cancelled and the governor forgets it.
    func closed() {
        guard !isClosed else { return }
        isClosed = true
        deadline?.cancel()
        deadline = nil
        headContext = nil
        governor.remove(ticket)
    }

    private func move(to next: ConnectionPhase) {
        guard next != phase, !isClosed else { return }
        phase = next
        governor.enter(next, for: ticket)
        deadline?.cancel()
        deadline = nil
        switch next {
        case .handshaking: schedule(.handshake)
        case .waiting: schedule(.idle)
        case .readingHead: schedule(.requestHead)
        case .readingBody: schedule(.requestBody)
        case .readingConsoleForm: schedule(.requestBody, timeout: limits.consoleFormTimeout)
        case .busy, .streaming: break
        }
    }

    /// Starts the deadline of `kind`, or `shorter` when that is sooner.
    private func schedule(_ kind: ConnectionMetrics.Timeout, timeout shorter: Duration? = nil) {
        guard let headContext else { return }
        var timeout: Duration
        switch kind {
        case .handshake: timeout = limits.handshakeTimeout
        case .requestHead: timeout = limits.requestHeadTimeout
        case .idle: timeout = limits.idleTimeout
        case .requestBody: timeout = limits.requestBodyTimeout
        }
        if let shorter { timeout = min(timeout, shorter) }
        deadline = headContext.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            self.deadline = nil
            guard !self.isClosed else { return }
            self.metrics.timeouts(kind).increment()
            self.closeAbruptly()
        }
    }
}
