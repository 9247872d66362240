import NIOCore
import NIOTLS

/// Sits right after the TLS handler: tells the connection's ``ConnectionActivity`` when the
/// handshake completed and when decrypted bytes arrive (the first byte of a request starts its
/// head deadline).
final class TLSActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let activity: ConnectionActivity

    init(activity: ConnectionActivity) {
        self.activity = activity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.bytesReceived()
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent { activity.handshakeCompleted() }
        context.fireUserInboundEventTriggered(event)
    }
}
