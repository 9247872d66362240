import ExchangeIdentity
import NIOCore
import NIOSSL
import Synchronization

/// The client certificate identity of each open connection, read once per connection.
///
/// Reading the peer certificate needs a hop to the channel's event loop and parsing the
/// certificate; a connection's certificate cannot change (the server refuses renegotiation), so
/// the identity is kept until the channel closes.
final class PeerIdentityCache: Sendable {
    private let entries = Mutex<[ObjectIdentifier: PeerCertificate?]>([:])

    /// Open connections with a cached identity (or a cached absence of one).
    var count: Int { entries.withLock { $0.count } }

    /// The identity of the TLS peer certificate of `channel`, or `nil` without TLS or certificate.
    func identity(of channel: any Channel) async -> PeerCertificate? {
        let key = ObjectIdentifier(channel)
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let identity = await Self.read(channel)
        let inserted = entries.withLock { entries -> Bool in
            guard entries[key] == nil else { return false }
            entries[key] = .some(identity)
            return true
        }
        if inserted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = entries.withLock { $0.removeValue(forKey: key) }
            }
        }
        return identity
    }

    private static func read(_ channel: any Channel) async -> PeerCertificate? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        guard let der = try? certificate.toDERBytes() else { return nil }
        return try? PeerCertificate(derEncoded: der)
    }
}
