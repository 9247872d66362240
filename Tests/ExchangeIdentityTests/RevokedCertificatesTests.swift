import ExchangeConfig
import ExchangeIdentity
import Foundation
import TestSupport
import Testing

/// The revoked-certificates file: fingerprints in the forms people paste, comments, and a clear
/// error naming the line that is not a fingerprint.
@Suite("Revoked certificates")
struct RevokedCertificatesTests {
    static let fingerprint = String(repeating: "0123456789abcdef", count: 4)

    @Test func readsFingerprintsAsOpenSSLPrintsThemAndSkipsComments() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("revoked.txt")
        let colons = stride(from: 0, to: 64, by: 2).map { index -> String in
            let start = Self.fingerprint.index(Self.fingerprint.startIndex, offsetBy: index)
            return Self.fingerprint[start..<Self.fingerprint.index(start, offsetBy: 2)].uppercased()
        }.joined(separator: ":")
        let other = String(repeating: "f", count: 64)
        try "# lost laptops\n\nsha256 Fingerprint=\(colons)\n  \(other)  # tax, 2026-12-01\n".write(toFile: path, atomically: true, encoding: .utf8)
        let revoked = try RevokedCertificates.load(path: path)
        #expect(revoked.fingerprints == [Self.fingerprint, other])
        #expect(revoked.isRevoked(Self.fingerprint))
        #expect(!revoked.isRevoked(String(repeating: "e", count: 64)))
        #expect(!RevokedCertificates.none.isRevoked(Self.fingerprint))
    }

    @Test func refusesALineThatIsNotAFingerprintAndAMissingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("revoked.txt")
        try "\(Self.fingerprint)\n\(Self.fingerprint.dropLast())\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigKeyError.self) { try RevokedCertificates.load(path: path) }
        #expect(error.key == "server.tls.revoked_certificates")
        #expect(error.message.contains("line 2"))
        #expect(throws: ConfigKeyError.self) { try RevokedCertificates.load(path: directory.file("absent.txt")) }
    }
}
