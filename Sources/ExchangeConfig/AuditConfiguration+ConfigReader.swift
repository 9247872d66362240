import ExchangeAudit
import ExchangeEngine
import Foundation

extension AuditConfiguration {
    /// The keys of the `audit` section.
    static let keys: Set<String> = [
        "audit.origin", "audit.signing_key", "audit.additional_signing_keys", "audit.hash", "audit.checkpoint_every_entries", "audit.checkpoint_interval",
        "audit.checkpoint_min_interval",
        "audit.anonymous_refusals.interval", "audit.anonymous_refusals.max_sources",
        "audit.principal_refusals.interval", "audit.principal_refusals.burst", "audit.principal_refusals.max_principals",
        "audit.read_limit.per_second", "audit.read_limit.burst",
    ]

    /// Reads the `audit` section:
    /// - `audit.origin`: the log's identity (default `data-exchange/audit`; no spaces, no `+`);
    /// - `audit.signing_key`: PEM private key file, Ed25519 or SM2, relative to the file's
    ///   directory (default: none, no checkpoints are issued);
    /// - `audit.additional_signing_keys`: a list of up to ``maximumAdditionalSigningKeys`` more
    ///   PEM private key files, Ed25519 or SM2, that sign every checkpoint beside
    ///   `audit.signing_key` (default none; needs `audit.signing_key`);
    /// - `audit.checkpoint_every_entries`: 1-100000000 (default 1000);
    /// - `audit.checkpoint_interval`: seconds as a number, or a number with `ms`, `s`, `m` or
    ///   `h` (default 60s; from 10ms to 24h);
    /// - `audit.checkpoint_min_interval`: the least time between two checkpoints, however fast
    ///   the log grows (default 1s; from 0 to 1h);
    /// - `audit.anonymous_refusals.interval`: how long refusals of anonymous requests are
    ///   counted per source before one entry per source is written (default 60s; from 1s to 1h);
    /// - `audit.anonymous_refusals.max_sources`: sources with their own entry per interval, the
    ///   rest counted together in one more (default 32; 1-10000);
    /// - `audit.principal_refusals.interval`: how long refusals of identified callers are
    ///   counted per principal before one summary entry per principal is written (default 60s;
    ///   from 1s to 1h);
    /// - `audit.principal_refusals.burst`: refusals of one principal per interval written one
    ///   entry each before the rest are counted (default 20; 0-10000);
    /// - `audit.principal_refusals.max_principals`: principals counted one by one per interval,
    ///   the rest together in one more entry (default 1000; 1-100000);
    /// - `audit.read_limit.per_second`: answered reads one principal may make per second
    ///   (replays, registry queries, audit reads, console pages and sign-ins: each writes an
    ///   entry), beyond which a read is refused with 429 `reads.rate_limited` and `Retry-After`
    ///   (default 100; a number from 0.001 to 1000000, `0.5` one read every two seconds, or `0`:
    ///   no limit);
    /// - `audit.read_limit.burst`: reads one principal may make at once after a quiet spell
    ///   (default 500; 1-1000000).
    ///
    /// `audit.hash` is read by ``hashAlgorithm(reader:)`` into the store's configuration.
    init(reader: ConfigReader) throws {
        let defaults = AuditConfiguration()
        let origin = try reader.string("audit.origin") ?? defaults.origin
        guard !origin.isEmpty, !origin.contains("+"),
            !origin.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else {
            throw reader.problem("audit.origin", "must be non-empty, without spaces, control characters or '+'")
        }
        let every = try reader.integer("audit.checkpoint_every_entries", in: 1...100_000_000).map(UInt64.init)
        let interval = try reader.duration("audit.checkpoint_interval")
        if let interval, interval < .milliseconds(10) || interval > .seconds(86_400) {
            throw reader.problem("audit.checkpoint_interval", "must be from 10ms to 24h")
        }
        let minimumInterval = try reader.duration("audit.checkpoint_min_interval")
        if let minimumInterval, minimumInterval < .zero || minimumInterval > .seconds(3600) {
            throw reader.problem("audit.checkpoint_min_interval", "must be from 0 to 1h")
        }
        let effectiveInterval = interval ?? defaults.checkpoints.interval
        if let minimumInterval, minimumInterval > effectiveInterval {
            throw reader.problem(
                "audit.checkpoint_min_interval",
                "must not exceed audit.checkpoint_interval (\(effectiveInterval)): a checkpoint could not come as often as that asks")
        }
        let refusalInterval = try reader.duration("audit.anonymous_refusals.interval")
        if let refusalInterval, refusalInterval < .seconds(1) || refusalInterval > .seconds(3600) {
            throw reader.problem("audit.anonymous_refusals.interval", "must be from 1s to 1h")
        }
        let maxSources = try reader.integer("audit.anonymous_refusals.max_sources", in: 1...10_000)
        let principalInterval = try reader.duration("audit.principal_refusals.interval")
        if let principalInterval, principalInterval < .seconds(1) || principalInterval > .seconds(3600) {
            throw reader.problem("audit.principal_refusals.interval", "must be from 1s to 1h")
        }
        let burst = try reader.integer("audit.principal_refusals.burst", in: 0...10_000)
        let maxPrincipals = try reader.integer("audit.principal_refusals.max_principals", in: 1...100_000)
        self.init(
            origin: origin, signingKeyPath: try reader.path("audit.signing_key"),
            checkpoints: CheckpointIssuer.Configuration(
                everyEntries: every ?? defaults.checkpoints.everyEntries, interval: interval ?? defaults.checkpoints.interval,
                // Unset, the minimum yields to a shorter interval.
                minimumInterval: minimumInterval ?? min(defaults.checkpoints.minimumInterval, effectiveInterval)),
            anonymousRefusals: AnonymousRefusals.Configuration(
                intervalSeconds: refusalInterval.map { Int($0.components.seconds) } ?? defaults.anonymousRefusals.intervalSeconds,
                maxSources: maxSources ?? defaults.anonymousRefusals.maxSources),
            additionalSigningKeyPaths: try Self.additionalSigningKeyPaths(reader: reader),
            principalRefusals: AnonymousRefusals.PrincipalConfiguration(
                intervalSeconds: principalInterval.map { Int($0.components.seconds) } ?? defaults.principalRefusals.intervalSeconds,
                burst: burst ?? defaults.principalRefusals.burst, maxPrincipals: maxPrincipals ?? defaults.principalRefusals.maxPrincipals))
        let perSecond = try reader.number("audit.read_limit.per_second", in: 0...1_000_000)
        if let perSecond, perSecond != 0, perSecond < 0.001 {
            throw reader.problem("audit.read_limit.per_second", "must be 0 (no limit) or from 0.001 (one read in about 17 minutes) to 1000000")
        }
        readLimit = ReadRateLimit.Configuration(
            perSecond: perSecond ?? defaults.readLimit.perSecond,
            burst: try reader.integer("audit.read_limit.burst", in: 1...1_000_000) ?? defaults.readLimit.burst)
    }

    /// The most keys `audit.additional_signing_keys` may list.
    static let maximumAdditionalSigningKeys = 8

    /// `audit.additional_signing_keys`: a list of key files, resolved like `audit.signing_key`.
    static func additionalSigningKeyPaths(reader: ConfigReader) throws -> [String] {
        let key = "audit.additional_signing_keys"
        guard let value = reader.value(key) else { return [] }
        guard let list = value as? [Any] else { throw reader.problem(key, "must be a list of key files, e.g. [audit-next.key]") }
        guard list.count <= maximumAdditionalSigningKeys else {
            throw reader.problem(key, "lists \(list.count) keys; at most \(maximumAdditionalSigningKeys)")
        }
        guard reader.value("audit.signing_key") != nil || list.isEmpty else {
            throw reader.problem(key, "needs audit.signing_key, the first key")
        }
        return try list.map { item in
            guard let text = item as? String, !text.isEmpty else { throw reader.problem(key, "must list key file paths (text)") }
            return reader.resolve(text)
        }
    }

    /// `audit.hash`: `sha256` (default) or `sm3`.
    static func hashAlgorithm(reader: ConfigReader) throws -> HashAlgorithm? {
        guard let text = try reader.string("audit.hash") else { return nil }
        guard let algorithm = HashAlgorithm(rawValue: text) else {
            throw reader.problem("audit.hash", "\"\(text)\" is not one of sha256, sm3")
        }
        return algorithm
    }
}
