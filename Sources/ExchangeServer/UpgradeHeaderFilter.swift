import NIOCore
import NIOHTTP1

/// Sits right before the upgrade handler, for the connection's first request (the only one the
/// upgrade handler looks at): removes from its head an `Upgrade` header that does not name
/// `websocket` (with the `upgrade` token of its `Connection` header), so that the request is
/// served as any other, as RFC 9110 §7.8 lets a server do; then removes itself, before a
/// WebSocket upgrade turns what it would see into frames.
///
/// The upgrade handler (swift-nio's `NIOTypedHTTPServerUpgradeHandler`) loses the head of a
/// request whose `Upgrade` names no protocol it knows (`h2c`, say): the framework then read the
/// request's end without its head and closed the connection without an answer.
final class UpgradeHeaderFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        if Self.stripForeignUpgrade(&head.headers) {
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Removes `Upgrade` and the `upgrade` token of `Connection` when no `Upgrade` value names
    /// `websocket`; returns whether it changed `headers`.
    static func stripForeignUpgrade(_ headers: inout HTTPHeaders) -> Bool {
        let values = headers[canonicalForm: "upgrade"]
        guard !values.isEmpty, !values.contains(where: { $0.lowercased().contains("websocket") }) else { return false }
        headers.remove(name: "upgrade")
        let tokens = headers[canonicalForm: "connection"].filter { $0.lowercased() != "upgrade" }
        headers.remove(name: "connection")
        for token in tokens { headers.add(name: "connection", value: String(token)) }
        return true
    }
}
