import Crypto
import ExchangeIdentity
import NIOCore
import NIOSSL
import NIOTLS

/// Sits right after the TLS handler: tells the connection's ``ConnectionActivity`` when the
/// handshake completed and when decrypted bytes arrive (the first byte of a request starts its
/// head deadline), and reports a handshake the TLS handler refused (a certificate of a foreign
/// CA, none where one is required, a protocol error) to `handshakeRefused` with the peer's
/// address and the reason, for the audit log. A completed handshake with a client certificate
/// counts against that certificate's share of connections; beyond it the connection is closed.
/// A revoked certificate (`isRevoked`, its SHA-256 fingerprint in lowercase hex) counts as none:
/// its requests are refused anyway, and its console forms are read as an anonymous client's,
/// evictable and under the short deadline, so that revoked certificates cannot hold slots.
final class TLSActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let activity: ConnectionActivity
    let handshakeRefused: @Sendable (_ source: String, _ reason: String) -> Void
    let isRevoked: @Sendable (_ sha256Fingerprint: String) -> Bool
    private var handshakeDone = false

    init(
        activity: ConnectionActivity, handshakeRefused: @escaping @Sendable (_ source: String, _ reason: String) -> Void = { _, _ in },
        isRevoked: @escaping @Sendable (_ sha256Fingerprint: String) -> Bool = { _ in false }
    ) {
        self.activity = activity
        self.handshakeRefused = handshakeRefused
        self.isRevoked = isRevoked
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone, let tlsError = error as? NIOSSLError, case .handshakeFailed = tlsError {
            handshakeDone = true
            handshakeRefused(context.channel.remoteAddress?.ipAddress ?? "unknown", Self.reason(tlsError))
        }
        context.fireErrorCaught(error)
    }

    /// The short reason of a refused handshake: the library's reason names (e.g.
    /// `TLSV1_ALERT_UNKNOWN_CA`, `CERTIFICATE_VERIFY_FAILED`), without source locations.
    static func reason(_ error: NIOSSLError) -> String {
        let text = "\(error)"
        var names: Set<String> = []
        for word in text.split(whereSeparator: { character in !(character.isLetter || character.isNumber || character == "_") }) {
            let isName = word.count > 3 && word.contains("_") && word.allSatisfy { character in
                character.isUppercase || character.isNumber || character == "_"
            }
            if isName { names.insert(String(word)) }
        }
        return names.isEmpty ? "handshake failed" : names.sorted().joined(separator: ", ")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.bytesReceived()
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            handshakeDone = true
            let certificate = (try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self))?.peerCertificate
            let digest = certificate.flatMap { try? $0.toDERBytes() }.map { Array(SHA256.hash(data: $0)) }
                .flatMap { isRevoked(PeerCertificate.sha256Fingerprint(digest: $0)) ? nil : $0 }
            guard activity.handshakeCompleted(certificate: digest) else { return }
        }
        context.fireUserInboundEventTriggered(event)
    }
}
