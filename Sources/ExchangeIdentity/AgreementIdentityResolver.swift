public import ExchangeModel
public import ExchangeRouting

/// Recognises departments by the certificate rules of `departments.yaml`, as loaded into the
/// agreement registry: subject common name, subject alternative names, SHA-256 fingerprints.
/// A reload of the configuration takes effect for new connections at once.
public struct AgreementIdentityResolver: CertificateIdentityResolver {
    /// The registry whose current department list is consulted.
    public let registry: AgreementRegistry

    /// Creates a resolver over `registry`.
    public init(registry: AgreementRegistry) {
        self.registry = registry
    }

    public func department(for identity: PeerCertificate) -> DepartmentID? {
        let presented = PresentedCertificate(
            subjectCommonName: identity.commonName, subjectAlternativeNames: identity.dnsNames + identity.uris,
            fingerprintSHA256: identity.sha256Fingerprint)
        return registry.current.department(for: presented)?.id
    }
}
