import Crypto
import SwiftASN1
import X509

/// What the exchange reads out of a verified client certificate to decide which department it is.
public struct PeerCertificate: Sendable, Hashable {
    /// The last common name (CN) of the subject, if any.
    public var commonName: String?
    /// The DNS names of the subject alternative name extension.
    public var dnsNames: [String]
    /// The URIs of the subject alternative name extension.
    public var uris: [String]
    /// The SHA-256 fingerprint of the DER certificate, lowercase hex without separators.
    public var sha256Fingerprint: String

    /// Creates an identity from its parts.
    /// - Parameters:
    ///   - commonName: the subject common name.
    ///   - dnsNames: SAN DNS names.
    ///   - uris: SAN URIs.
    ///   - sha256Fingerprint: lowercase hex SHA-256 of the DER encoding.
    public init(commonName: String?, dnsNames: [String] = [], uris: [String] = [], sha256Fingerprint: String) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
        self.sha256Fingerprint = sha256Fingerprint
    }

    /// Reads the identity of a DER-encoded certificate.
    /// - Parameter der: the certificate's DER bytes.
    /// - Throws: when the bytes are not an X.509 certificate.
    public init(derEncoded der: [UInt8]) throws {
        let certificate = try Certificate(derEncoded: der)
        var commonName: String?
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                commonName = String(attribute.value)
            }
        }
        var dnsNames: [String] = []
        var uris: [String] = []
        if let names = try certificate.extensions.subjectAlternativeNames {
            for name in names {
                switch name {
                case .dnsName(let dns): dnsNames.append(dns)
                case .uniformResourceIdentifier(let uri): uris.append(uri)
                default: break
                }
            }
        }
        self.init(
            commonName: commonName, dnsNames: dnsNames, uris: uris,
            sha256Fingerprint: Self.sha256Fingerprint(der: der))
    }

    /// The SHA-256 fingerprint of a certificate's DER bytes in lowercase hex, as department
    /// lists and revocation lists name certificates.
    public static func sha256Fingerprint(der: [UInt8]) -> String {
        sha256Fingerprint(digest: SHA256.hash(data: der))
    }

    /// ``sha256Fingerprint(der:)`` of a digest already taken: its bytes in lowercase hex.
    public static func sha256Fingerprint(digest: some Sequence<UInt8>) -> String {
        hex(digest)
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
