import Foundation
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
///
/// A WebSocket upgrade the upgrade handler would take though RFC 6455 §4.2.1 refuses it (over
/// HTTP/1.0, or with a `Sec-WebSocket-Key` that is not 16 bytes in base64) is not upgraded
/// either: its `Upgrade` is removed and ``refusalHeader`` says why, for ``HTTPRequestGuard`` to
/// answer 400.
final class UpgradeHeaderFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    /// Set on a head whose WebSocket upgrade was taken out, to the reason; a client's own is
    /// removed first.
    static let refusalHeader = "x-exchange-refused-upgrade"
    /// Set on a head whose foreign upgrade was taken out while its `Connection` asked for one:
    /// the HTTP parser stops reading the connection after such a request, so
    /// ``HTTPRequestGuard`` closes it after the answer. A client's own is removed first.
    static let upgradeIgnoredHeader = "x-exchange-upgrade-ignored"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headers.remove(name: Self.refusalHeader)
        head.headers.remove(name: Self.upgradeIgnoredHeader)
        let askedForUpgrade = Self.connectionAsksForUpgrade(head.headers)
        if Self.stripForeignUpgrade(&head.headers), askedForUpgrade {
            head.headers.add(name: Self.upgradeIgnoredHeader, value: "1")
        }
        if let reason = Self.invalidWebSocketHandshake(head) {
            Self.removeUpgrade(&head.headers)
            head.headers.add(name: Self.refusalHeader, value: reason)
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Removes `Upgrade` and the `upgrade` token of `Connection` when no `Upgrade` token is
    /// `websocket` (`xwebsocket` and `websocket/13` are other protocols); returns whether it
    /// changed `headers`.
    static func stripForeignUpgrade(_ headers: inout HTTPHeaders) -> Bool {
        guard headers.contains(name: "upgrade"), !asksForWebSocket(headers) else { return false }
        removeUpgrade(&headers)
        return true
    }

    /// Whether a token of `Upgrade` is `websocket`, in any case, as the upgrade handler matches.
    static func asksForWebSocket(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "upgrade"].contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "websocket" }
    }

    /// Whether `Upgrade` is present and a token of `Connection` is `upgrade`: the HTTP parser
    /// then takes the request for a protocol switch and reads nothing after it.
    static func connectionAsksForUpgrade(_ headers: HTTPHeaders) -> Bool {
        headers.contains(name: "upgrade") && headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// Removes `Upgrade` and the `upgrade` token of `Connection`.
    static func removeUpgrade(_ headers: inout HTTPHeaders) {
        headers.remove(name: "upgrade")
        let tokens = headers[canonicalForm: "connection"].filter { $0.lowercased() != "upgrade" }
        headers.remove(name: "connection")
        for token in tokens { headers.add(name: "connection", value: String(token)) }
    }

    /// Why a WebSocket upgrade in `head` must be refused, or `nil` (none asked, or a valid one;
    /// a missing key is left to the upgrade handler, which refuses it).
    static func invalidWebSocketHandshake(_ head: HTTPRequestHead) -> String? {
        guard asksForWebSocket(head.headers) else { return nil }
        guard head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1) else {
            return "a WebSocket upgrade needs HTTP/1.1 (RFC 6455 §4.1)"
        }
        let keys = head.headers[canonicalForm: "sec-websocket-key"]
        guard let key = keys.first else { return nil }
        guard keys.count == 1, key.utf8.count == 24, let nonce = Data(base64Encoded: String(key)), nonce.count == 16 else {
            return "Sec-WebSocket-Key must be one 16-byte nonce in base64 (RFC 6455 §4.1)"
        }
        return nil
    }
}
