import ExchangeConfig
import ExchangeIdentity
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The child channel of the exchange's listener: HTTP/1.1 with WebSocket upgrade over TLS, each
/// connection admitted by the ``ConnectionGovernor`` and watched through its phases.
///
/// The pipeline of an admitted connection, first to last: ``ConnectionAdmissionHandler``, the
/// TLS handler, ``TLSActivityHandler``, the HTTP encoder and decoder, ``UpgradeHeaderFilter``,
/// the upgrade handler, ``HTTPRequestGuard``, then what the framework adds for HTTP or WebSocket. A connection the
/// governor refuses gets only ``RefusedConnectionHandler``, which closes it.
struct GovernedChannel: ServerChildChannel {
    /// An admitted connection's HTTP or WebSocket channel, or a refused connection.
    enum Value: ServerChildChannelValue {
        case admitted(HTTP1WebSocketUpgradeChannel.Value)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .admitted(let value): value.channel
            case .refused(let channel): channel
            }
        }
    }

    let base: HTTP1WebSocketUpgradeChannel
    /// The TLS context; each connection takes the one current when it is accepted.
    let tls: ServerTLSContext
    let governor: ConnectionGovernor
    let limits: ConnectionLimits
    let metrics: ConnectionMetrics
    /// Receives each refused TLS handshake: the peer's address and the reason.
    var handshakeRefused: @Sendable (_ source: String, _ reason: String) -> Void = { _, _ in }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let eventLoop = channel.eventLoop
        let admitted = eventLoop.makeCompletedFuture { () -> Bool in
            let pipeline = channel.pipeline.syncOperations
            let activityBox = NIOLoopBoundBox.makeEmptyBox(valueType: ConnectionActivity.self, eventLoop: eventLoop)
            let ticket = governor.admit(close: {
                eventLoop.execute { activityBox.value?.closeAbruptly() }
            })
            guard let ticket else {
                try pipeline.addHandler(RefusedConnectionHandler())
                return false
            }
            let activity = ConnectionActivity(governor: governor, ticket: ticket, limits: limits, metrics: metrics)
            activityBox.value = activity
            try pipeline.addHandler(ConnectionAdmissionHandler(activity: activity))
            try pipeline.addHandler(NIOSSLServerHandler(context: tls.current))
            let tls = self.tls
            try pipeline.addHandler(
                TLSActivityHandler(
                    activity: activity, handshakeRefused: handshakeRefused, isRevoked: { tls.revokedCertificates.isRevoked($0) }))
            return true
        }
        return admitted.flatMap { admitted in
            guard admitted else { return eventLoop.makeSucceededFuture(.refused(channel)) }
            return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
                let pipeline = channel.pipeline.syncOperations
                let activity = try pipeline.handler(type: TLSActivityHandler.self).activity
                let upgrader = try pipeline.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
                try pipeline.addHandler(UpgradeHeaderFilter(), position: .before(upgrader))
                try pipeline.addHandler(HTTPRequestGuard(activity: activity), position: .after(upgrader))
                return .admitted(value)
            }
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard case .admitted(let value) = value else { return }
        await base.handle(value: value, logger: logger)
    }
}
