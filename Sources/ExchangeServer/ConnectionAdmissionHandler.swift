import NIOCore

/// The first handler of every admitted connection: starts its ``ConnectionActivity``, tells it
/// when the connection closes, and at graceful shutdown closes the connection if it is still
/// handshaking or waiting for a request (the framework closes idle connections only once they
/// served a request).
final class ConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let activity: ConnectionActivity

    init(activity: ConnectionActivity) {
        self.activity = activity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        activity.opened(headContext: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        activity.closed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        activity.closed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, activity.phase == .handshaking || activity.phase == .waiting {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The only handler of a connection refused at the limit: closes it as soon as it is active.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
