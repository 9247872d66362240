/// How a client certificate maps to a department.
///
/// Every criterion that is given must hold: the subject common name must be equal, one of the
/// certificate's subject alternative names must be listed, its SHA-256 fingerprint must be
/// listed. At least one criterion must be given. Fingerprints are compared as lowercase hex
/// without separators (`AB:CD:...` is accepted and normalised).
public struct CertificateIdentity: Hashable, Sendable {
    /// The required subject common name (CN), if any.
    public var subjectCommonName: String?
    /// Accepted subject alternative names (DNS names, URIs or e-mail addresses); empty means any.
    public var subjectAlternativeNames: [String]
    /// Accepted SHA-256 certificate fingerprints, lowercase hex; empty means any.
    public var fingerprintsSHA256: [String]

    /// Creates an identity rule.
    /// - Parameters:
    ///   - subjectCommonName: the required CN, if any.
    ///   - subjectAlternativeNames: accepted SANs; default none (any).
    ///   - fingerprintsSHA256: accepted fingerprints; default none (any).
    public init(subjectCommonName: String? = nil, subjectAlternativeNames: [String] = [], fingerprintsSHA256: [String] = []) {
        self.subjectCommonName = subjectCommonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.fingerprintsSHA256 = fingerprintsSHA256.map(Self.normalizeFingerprint)
    }

    /// Whether no criterion is given (such a rule would accept every certificate).
    public var isEmpty: Bool {
        subjectCommonName == nil && subjectAlternativeNames.isEmpty && fingerprintsSHA256.isEmpty
    }

    /// Whether a presented certificate satisfies every given criterion.
    /// - Parameter certificate: what the TLS layer read from the verified client certificate.
    public func accepts(_ certificate: PresentedCertificate) -> Bool {
        guard !isEmpty else { return false }
        if let subjectCommonName, certificate.subjectCommonName != subjectCommonName { return false }
        if !subjectAlternativeNames.isEmpty,
            !certificate.subjectAlternativeNames.contains(where: subjectAlternativeNames.contains)
        {
            return false
        }
        if !fingerprintsSHA256.isEmpty {
            guard let fingerprint = certificate.fingerprintSHA256.map(Self.normalizeFingerprint),
                fingerprintsSHA256.contains(fingerprint)
            else { return false }
        }
        return true
    }

    /// Lowercases a hex fingerprint and drops `:` separators.
    public static func normalizeFingerprint(_ text: String) -> String {
        String(text.lowercased().filter { $0 != ":" })
    }

    /// Whether `text` is a SHA-256 fingerprint: 64 hex digits, optionally `:`-separated.
    public static func isFingerprint(_ text: String) -> Bool {
        let normalized = normalizeFingerprint(text)
        return normalized.count == 64 && normalized.allSatisfy(\.isHexDigit)
    }
}

/// The identity facts of a verified client certificate, as the TLS layer reads them.
public struct PresentedCertificate: Hashable, Sendable {
    /// The subject common name, if any.
    public var subjectCommonName: String?
    /// The subject alternative names.
    public var subjectAlternativeNames: [String]
    /// The SHA-256 fingerprint of the DER certificate, hex.
    public var fingerprintSHA256: String?

    /// Creates the facts of a presented certificate.
    /// - Parameters:
    ///   - subjectCommonName: the CN, if any.
    ///   - subjectAlternativeNames: the SANs.
    ///   - fingerprintSHA256: the SHA-256 fingerprint, hex.
    public init(subjectCommonName: String? = nil, subjectAlternativeNames: [String] = [], fingerprintSHA256: String? = nil) {
        self.subjectCommonName = subjectCommonName
        self.subjectAlternativeNames = subjectAlternativeNames
        self.fingerprintSHA256 = fingerprintSHA256
    }
}
