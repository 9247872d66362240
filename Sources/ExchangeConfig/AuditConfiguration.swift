public import ExchangeAudit
public import ExchangeEngine

/// Settings of the audit log's signed checkpoints (`audit.*` in Config/exchange.yaml). The tree's
/// hash function (`audit.hash`) lives in ``ExchangeConfiguration/store`` because the store fixes
/// it when it is created.
public struct AuditConfiguration: Sendable, Equatable {
    /// The log's identity, written as the first line of every checkpoint and used as the key
    /// name of its signatures. Default `data-exchange/audit`.
    public var origin: String
    /// The PEM private key (Ed25519 or SM2) that signs checkpoints; `nil`: no checkpoints are
    /// issued (the auditor API still serves entries and proofs). Default `nil`; the shipped
    /// Config/exchange.yaml names `pki/audit.key`, which `exchangectl pki init` creates.
    public var signingKeyPath: String?
    /// More PEM private keys (Ed25519 or SM2) that sign every checkpoint beside
    /// ``signingKeyPath`` (`audit.additional_signing_keys`), each adding one signature line under
    /// the same key name: a key rotation's overlap (old and new key), or an SM2 signature beside
    /// the Ed25519 one. Ignored without ``signingKeyPath``. Default none.
    public var additionalSigningKeyPaths: [String]
    /// When checkpoints are issued (`checkpoint_every_entries`, default 1,000;
    /// `checkpoint_interval`, default 60 s).
    public var checkpoints: CheckpointIssuer.Configuration
    /// How refusals of anonymous requests are aggregated (`anonymous_refusals.interval`, default
    /// 60 s; `anonymous_refusals.max_sources`, default 32).
    public var anonymousRefusals: AnonymousRefusals.Configuration
    /// How refusals of identified callers are bounded (`principal_refusals.interval`, default
    /// 60 s; `principal_refusals.burst`, default 20; `principal_refusals.max_principals`,
    /// default 1,000).
    public var principalRefusals: AnonymousRefusals.PrincipalConfiguration
    /// How fast one principal's answered reads may write audit entries
    /// (`read_limit.per_second`, default 100; `read_limit.burst`, default 500).
    public var readLimit = ReadRateLimit.Configuration()

    /// Creates a configuration.
    /// - Parameters:
    ///   - origin: the log's identity (default `data-exchange/audit`).
    ///   - signingKeyPath: the signing key file, or `nil` for no checkpoints (default).
    ///   - checkpoints: when checkpoints are issued.
    ///   - anonymousRefusals: how anonymous refusals are aggregated.
    ///   - additionalSigningKeyPaths: more keys that sign every checkpoint (default none).
    ///   - principalRefusals: how refusals of identified callers are bounded.
    public init(
        origin: String = "data-exchange/audit", signingKeyPath: String? = nil,
        checkpoints: CheckpointIssuer.Configuration = .init(), anonymousRefusals: AnonymousRefusals.Configuration = .init(),
        additionalSigningKeyPaths: [String] = [], principalRefusals: AnonymousRefusals.PrincipalConfiguration = .init()
    ) {
        self.principalRefusals = principalRefusals
        self.origin = origin
        self.signingKeyPath = signingKeyPath
        self.additionalSigningKeyPaths = additionalSigningKeyPaths
        self.checkpoints = checkpoints
        self.anonymousRefusals = anonymousRefusals
    }

    /// Loads the signing key and names it by the origin.
    /// - Returns: the signer, or `nil` when no key is configured.
    /// - Throws: ``ConfigKeyError`` when the file cannot be read or is not a private key.
    public func makeSigner() throws -> NoteSigner? {
        guard let signingKeyPath else { return nil }
        return try Self.signer(origin: origin, path: signingKeyPath, key: "audit.signing_key")
    }

    /// Loads every signing key, ``signingKeyPath`` first, then ``additionalSigningKeyPaths``, all
    /// named by the origin.
    /// - Returns: the signers, empty when no `audit.signing_key` is configured.
    /// - Throws: ``ConfigKeyError`` when a file cannot be read or is not a private key, or when
    ///   two files hold the same key.
    public func makeSigners() throws -> [NoteSigner] {
        guard let primary = try makeSigner() else { return [] }
        var signers = [primary]
        for path in additionalSigningKeyPaths {
            let signer = try Self.signer(origin: origin, path: path, key: "audit.additional_signing_keys")
            guard !signers.contains(where: { $0.keyID == signer.keyID && $0.key.algorithm == signer.key.algorithm }) else {
                throw ConfigKeyError(file: path, key: "audit.additional_signing_keys", message: "holds a key already configured: each key signs once")
            }
            signers.append(signer)
        }
        return signers
    }

    private static func signer(origin: String, path: String, key: String) throws -> NoteSigner {
        do {
            return try NoteSigner(name: origin, key: SigningKey(pemFile: path))
        } catch {
            throw ConfigKeyError(
                file: path, key: key,
                message: "cannot load the audit signing key: \(error) (create one with `exchangectl audit keygen` or `exchangectl pki init`)")
        }
    }
}
