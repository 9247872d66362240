public import Crypto
import Foundation
import SwiftASN1
public import X509

/// A development certificate authority with P-256 keys: the CA, a server certificate for
/// `localhost` and 127.0.0.1, and one client certificate per department (common name = the
/// department id). For development and tests only; production certificates come from the
/// departments' own PKI.
///
/// ```swift
/// let ca = try DevelopmentPKI(commonName: "Data Exchange Development CA")
/// let server = try ca.issueServerCertificate()
/// let client = try ca.issueClientCertificate(commonName: "tax-bureau")
/// ```
public struct DevelopmentPKI {
    /// An issued certificate with its private key.
    public struct Issued {
        /// The certificate.
        public let certificate: Certificate
        /// Its private key.
        public let privateKey: P256.Signing.PrivateKey

        /// The certificate's DER bytes.
        public func certificateDER() throws -> [UInt8] {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return serializer.serializedBytes
        }
        /// The certificate as PEM text, ending in a newline (so that PEM files concatenate).
        public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString + "\n" }
        /// The private key as PKCS #8 PEM text, ending in a newline.
        public var privateKeyPEM: String { privateKey.pemRepresentation + "\n" }
    }

    /// The CA certificate and key.
    public let authority: Issued
    /// How long issued certificates are valid, days.
    public let validityDays: Int
    private var validity: TimeInterval { TimeInterval(validityDays) * 86_400 }

    /// Creates a new CA with a fresh key.
    /// - Parameters:
    ///   - commonName: the CA's subject common name.
    ///   - validityDays: how long it and its certificates are valid (default 825 days).
    public init(commonName: String = "Data Exchange Development CA", validityDays: Int = 825) throws {
        let validity = TimeInterval(validityDays) * 86_400
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Data Exchange")
            CommonName(commonName)
        }
        let now = Date()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        self.authority = Issued(certificate: certificate, privateKey: key)
        self.validityDays = validityDays
    }

    /// Issues a server certificate.
    /// - Parameters:
    ///   - commonName: the subject common name.
    ///   - dnsNames: SAN DNS names (default `localhost`).
    ///   - ipAddresses: SAN IPv4 addresses as 4 bytes each (default 127.0.0.1).
    public func issueServerCertificate(
        commonName: String = "localhost", dnsNames: [String] = ["localhost"], ipAddresses: [[UInt8]] = [[127, 0, 0, 1]]
    ) throws -> Issued {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        names += ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        return try issue(commonName: commonName, usage: .serverAuth, alternativeNames: names)
    }

    /// Issues a client certificate.
    /// - Parameters:
    ///   - commonName: the subject common name, the department id.
    ///   - uris: SAN URIs, if any.
    public func issueClientCertificate(commonName: String, uris: [String] = [], dnsNames: [String] = []) throws -> Issued {
        try issue(
            commonName: commonName, usage: .clientAuth,
            alternativeNames: uris.map { .uniformResourceIdentifier($0) } + dnsNames.map { .dnsName($0) })
    }

    private func issue(commonName: String, usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName]) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("Data Exchange")
            CommonName(commonName)
        }
        let now = Date()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let authorityKeyID = try authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: authority.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyID {
                    AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                }
                if !alternativeNames.isEmpty {
                    SubjectAlternativeNames(alternativeNames)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(authority.privateKey))
        return Issued(certificate: certificate, privateKey: key)
    }
}
