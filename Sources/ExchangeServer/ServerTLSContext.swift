public import ExchangeConfig
public import ExchangeIdentity
public import NIOSSL
import Synchronization

/// The server's TLS context (certificate chain, private key, client CA bundle), swapped whole by
/// ``reload()``: each new connection takes the context current when it is accepted, and a
/// connection keeps the one it was accepted with until it closes.
///
/// ```swift
/// let tls = try ServerTLSContext(configuration: settings.server)
/// let app = try buildApplication(configuration: settings.server, dependencies: dependencies, logger: logger, tls: tls)
/// // on SIGHUP:
/// let outcome = tls.reload()    // a bad file keeps the old context
/// ```
public final class ServerTLSContext: Sendable {
    /// What a reload did.
    public struct Outcome: Sendable {
        /// Whether the new files are in force; `false` keeps the old ones.
        public var applied: Bool
        /// The SHA-256 fingerprint (lowercase hex) of the server certificate in force afterwards.
        public var certificateFingerprint: String
        /// Why the files were not taken, when ``applied`` is `false`.
        public var error: String?
        /// How many client certificates are revoked in the list in force afterwards.
        public var revokedCertificates: Int
    }

    private let configuration: ServerConfiguration
    private let state: Mutex<Loaded>

    private struct Loaded {
        var context: NIOSSLContext
        var fingerprint: String
        var revoked: RevokedCertificates
        var validities: [(certificate: String, validity: CertificateValidity)]
    }

    /// Reads the files named by `configuration` (`server.tls.*`).
    /// - Throws: ``ConfigKeyError`` naming the key whose file cannot be read.
    public init(configuration: ServerConfiguration) throws {
        self.configuration = configuration
        state = Mutex(try Self.load(configuration))
    }

    /// The context for a connection accepted now.
    public var current: NIOSSLContext { state.withLock { $0.context } }

    /// The SHA-256 fingerprint (lowercase hex) of the server certificate in force.
    public var certificateFingerprint: String { state.withLock { $0.fingerprint } }

    /// The revoked client certificates (`server.tls.revoked_certificates`) in force.
    public var revokedCertificates: RevokedCertificates { state.withLock { $0.revoked } }

    /// The end of validity of each certificate in force: `server` for the server's chain,
    /// `client_ca` for the client CA bundle, in file order. A reload replaces them.
    public var certificateValidities: [(certificate: String, validity: CertificateValidity)] {
        state.withLock { $0.validities }
    }

    /// Re-reads the certificate chain, private key, client CA bundle and revoked certificates
    /// list. On success new
    /// connections use them; open connections keep theirs. On any failure (a missing or
    /// malformed file, a key that does not match the certificate) nothing changes.
    @discardableResult
    public func reload() -> Outcome {
        do {
            let loaded = try Self.load(configuration)
            state.withLock { $0 = loaded }
            return Outcome(applied: true, certificateFingerprint: loaded.fingerprint, error: nil, revokedCertificates: loaded.revoked.fingerprints.count)
        } catch {
            let current = state.withLock { $0 }
            return Outcome(
                applied: false, certificateFingerprint: current.fingerprint, error: "\(error)", revokedCertificates: current.revoked.fingerprints.count)
        }
    }

    private static func load(_ configuration: ServerConfiguration) throws -> Loaded {
        let revoked = try configuration.revokedCertificatesPath.map(RevokedCertificates.load(path:)) ?? .none
        let tls = try configuration.makeTLSConfiguration()
        let context: NIOSSLContext
        do {
            // NIOSSLContext checks that the private key matches the certificate.
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw ConfigKeyError(
                file: configuration.privateKeyPath, key: "server.tls.private_key",
                message: "cannot be used with \(configuration.certificatePath): \(error)")
        }
        var fingerprint = ""
        if case .certificate(let leaf)? = tls.certificateChain.first, let der = try? leaf.toDERBytes() {
            fingerprint = (try? PeerCertificate(derEncoded: der))?.sha256Fingerprint ?? ""
        }
        // Read only for display (metrics, the console): a file NIOSSL accepted but this parser
        // does not (no such case is known) shows no dates rather than refusing the reload.
        let validities =
            ((try? CertificateValidity.read(pemFile: configuration.certificatePath)) ?? []).map { (certificate: "server", validity: $0) }
            + ((try? CertificateValidity.read(pemFile: configuration.clientCAPath)) ?? []).map { (certificate: "client_ca", validity: $0) }
        return Loaded(context: context, fingerprint: fingerprint, revoked: revoked, validities: validities)
    }
}
