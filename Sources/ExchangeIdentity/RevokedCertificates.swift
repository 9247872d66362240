public import ExchangeConfig
import Foundation

/// Revoked client certificates, by SHA-256 fingerprint of their DER encoding.
///
/// The file (`server.tls.revoked_certificates`) holds one fingerprint a line: 64 hex digits,
/// upper or lower case, `:` separators allowed (as `openssl x509 -fingerprint -sha256` prints
/// it, with or without its `sha256 Fingerprint=` prefix); text after `#` is a comment, blank
/// lines are skipped. A certificate listed here is refused on every request, whatever
/// department it names.
///
/// ```
/// # msa laptop, stolen 2026-12-01
/// 3F:A1:...:9C
/// ```
public struct RevokedCertificates: Sendable, Equatable {
    /// The most fingerprints a file may hold.
    public static let maximumEntries = 100_000
    /// The largest file read, bytes.
    public static let maximumFileSize = 16 << 20

    /// The revoked fingerprints, lowercase hex without separators.
    public let fingerprints: Set<String>

    /// A list of fingerprints, normalised (lowercase, no `:`).
    public init(fingerprints: some Sequence<String>) {
        self.fingerprints = Set(fingerprints.map { $0.lowercased().filter { $0 != ":" } })
    }

    /// Nothing revoked.
    public static let none = RevokedCertificates(fingerprints: [])

    /// Whether the certificate with this fingerprint (lowercase hex) is revoked.
    public func isRevoked(_ sha256Fingerprint: String) -> Bool {
        fingerprints.contains(sha256Fingerprint)
    }

    /// Reads a fingerprints file.
    /// - Throws: ``ConfigKeyError`` (key `server.tls.revoked_certificates`) naming the line at
    ///   fault, when the file cannot be read, is too large, or a line is not a fingerprint.
    public static func load(path: String) throws -> RevokedCertificates {
        let key = "server.tls.revoked_certificates"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigKeyError(file: path, key: key, message: "cannot be read")
        }
        guard data.count <= maximumFileSize else {
            throw ConfigKeyError(file: path, key: key, message: "is larger than \(maximumFileSize) bytes")
        }
        var fingerprints: [String] = []
        for (number, rawLine) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if let equals = line.lastIndex(of: "=") { line = line[line.index(after: equals)...] }
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            let hex = text.lowercased().filter { $0 != ":" }
            guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw ConfigKeyError(
                    file: path, key: key, message: "line \(number + 1) is not a SHA-256 fingerprint (64 hex digits, ':' allowed)")
            }
            fingerprints.append(hex)
            guard fingerprints.count <= maximumEntries else {
                throw ConfigKeyError(file: path, key: key, message: "holds more than \(maximumEntries) fingerprints")
            }
        }
        return RevokedCertificates(fingerprints: fingerprints)
    }
}
