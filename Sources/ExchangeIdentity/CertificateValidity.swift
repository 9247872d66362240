public import Foundation
import SwiftASN1
import X509

/// The subject and end of validity of one certificate of a PEM file: what the daemon exports
/// as `exchange_certificate_expiry_days` for the server's chain and the client CAs.
///
/// ```swift
/// for certificate in try CertificateValidity.read(pemFile: "Config/pki/ca.crt") {
///     print(certificate.subject, certificate.days(toExpiryAt: Date()))
/// }
/// ```
public struct CertificateValidity: Sendable, Hashable {
    /// The subject's distinguished name (RFC 4514 text).
    public var subject: String
    /// The last instant the certificate is valid.
    public var notValidAfter: Date

    /// Creates a record.
    public init(subject: String, notValidAfter: Date) {
        self.subject = subject
        self.notValidAfter = notValidAfter
    }

    /// Days from `now` to the end of validity, with fractions; negative once expired.
    public func days(toExpiryAt now: Date) -> Double {
        notValidAfter.timeIntervalSince(now) / 86_400
    }

    /// Every certificate of the PEM file at `path`, in file order.
    /// - Throws: when the file cannot be read or holds something that is not a certificate.
    public static func read(pemFile path: String) throws -> [CertificateValidity] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try PEMDocument.parseMultiple(pemString: text).map { document in
            let certificate = try Certificate(pemDocument: document)
            return CertificateValidity(subject: certificate.subject.description, notValidAfter: certificate.notValidAfter)
        }
    }
}
