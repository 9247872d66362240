public import ExchangeModel

/// Maps a verified client certificate to the department it belongs to.
///
/// The TLS layer has already checked that the certificate chains to the exchange's CA; the
/// resolver decides which department, if any, it names. The departments.yaml loader provides the
/// rules in production; ``StaticCertificateIdentityResolver`` holds them as a list.
public protocol CertificateIdentityResolver: Sendable {
    /// The department a certificate belongs to, or `nil` when it names none.
    /// - Parameter identity: the certificate's common name, SAN DNS names and URIs, fingerprint.
    func department(for identity: PeerCertificate) -> DepartmentID?
}

/// How a department's certificate is recognised.
public enum CertificateMatchRule: Sendable, Hashable {
    /// The subject common name equals this text exactly.
    case commonName(String)
    /// One SAN DNS name equals this name (ASCII case-insensitive).
    case dnsName(String)
    /// One SAN URI equals this URI exactly, e.g. `spiffe://exchange/market-regulation`.
    case uri(String)
    /// The certificate's SHA-256 fingerprint, hex (case and `:` separators ignored), pins one certificate.
    case sha256Fingerprint(String)

    /// Whether `identity` satisfies this rule.
    public func matches(_ identity: PeerCertificate) -> Bool {
        switch self {
        case .commonName(let name):
            return identity.commonName == name
        case .dnsName(let name):
            let wanted = name.lowercased()
            return identity.dnsNames.contains { $0.lowercased() == wanted }
        case .uri(let uri):
            return identity.uris.contains(uri)
        case .sha256Fingerprint(let fingerprint):
            let normalized = fingerprint.lowercased().filter { $0 != ":" }
            return identity.sha256Fingerprint == normalized
        }
    }
}

/// A resolver over a fixed list of (department, rule) pairs; the first matching pair wins.
///
/// ```swift
/// let resolver = StaticCertificateIdentityResolver([
///     (DepartmentID("tax-bureau")!, .commonName("tax-bureau")),
///     (DepartmentID("health")!, .uri("spiffe://exchange/health")),
/// ])
/// ```
public struct StaticCertificateIdentityResolver: CertificateIdentityResolver {
    /// The rules, in the order they are tried.
    public let rules: [(department: DepartmentID, rule: CertificateMatchRule)]

    /// Creates a resolver.
    /// - Parameter rules: (department, rule) pairs, tried in order.
    public init(_ rules: [(department: DepartmentID, rule: CertificateMatchRule)]) {
        self.rules = rules
    }

    /// A resolver in which each department's certificate carries the department id as its common name.
    /// - Parameter departments: the known departments.
    public static func commonNames(_ departments: [DepartmentID]) -> StaticCertificateIdentityResolver {
        .init(departments.map { ($0, .commonName($0.rawValue)) })
    }

    /// The department of the first rule `identity` satisfies, or `nil`.
    public func department(for identity: PeerCertificate) -> DepartmentID? {
        rules.first { $0.rule.matches(identity) }?.department
    }
}
