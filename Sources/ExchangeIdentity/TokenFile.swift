import Crypto
import ExchangeConfig
#if canImport(Glibc)
import Glibc
#endif
import ExchangeModel
public import Foundation

/// The bearer tokens file: JSON, one entry per token, holding only the SHA-256 of each secret.
///
/// ```json
/// {
///   "tokens": [
///     { "name": "portal", "role": "portal", "sha256": "9f86d0…", "created": "2026-11-27T01:00:00Z", "revoked": false }
///   ]
/// }
/// ```
///
/// - `name`: unique, the `actor` of audit entries;
/// - `role`: `portal`, `auditor` or `admin`;
/// - `sha256`: lowercase hex SHA-256 of the secret's UTF-8 bytes (the secret itself is never stored);
/// - `created`: RFC 3339 time of creation;
/// - `revoked`: a revoked token is refused with `auth.invalid_token`;
/// - `expires` (optional): RFC 3339 time from which the token is refused with `auth.token_expired`;
///   absent, the token does not expire.
///
/// `exchangectl token create|revoke|list` edits it; the daemon reloads it when it changes.
public struct TokenFile: Sendable, Equatable {
    /// One token entry.
    public struct Entry: Sendable, Equatable, Codable {
        /// The token's unique name.
        public var name: String
        /// The token's role (never `department`).
        public var role: String
        /// Lowercase hex SHA-256 of the secret.
        public var sha256: String
        /// RFC 3339 creation time.
        public var created: String
        /// Whether the token is revoked.
        public var revoked: Bool
        /// RFC 3339 time from which the token is refused; `nil`: it does not expire.
        public var expires: String?

        /// Creates an entry.
        public init(name: String, role: String, sha256: String, created: String, revoked: Bool = false, expires: String? = nil) {
            self.expires = expires
            self.name = name
            self.role = role
            self.sha256 = sha256
            self.created = created
            self.revoked = revoked
        }
    }

    private struct Document: Codable {
        var tokens: [Entry]
    }

    /// The entries, in file order.
    public var entries: [Entry]

    /// Creates a file from entries.
    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Reads a tokens file; a missing file is an empty one.
    /// - Parameter path: the file.
    /// - Throws: ``ConfigKeyError`` naming the file and the entry at fault.
    public static func load(path: String) throws -> TokenFile {
        guard FileManager.default.fileExists(atPath: path) else { return TokenFile() }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigKeyError(file: path, key: "(file)", message: "cannot be read: \(error.localizedDescription)")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw ConfigKeyError(file: path, key: "tokens", message: "is not a tokens document: \(error)")
        }
        var names = Set<String>()
        for (index, entry) in document.tokens.enumerated() {
            let key = "tokens[\(index)]"
            guard !entry.name.isEmpty, names.insert(entry.name).inserted else {
                throw ConfigKeyError(file: path, key: "\(key).name", message: "must be a unique non-empty name")
            }
            guard let role = Role(rawValue: entry.role), role != .department else {
                throw ConfigKeyError(file: path, key: "\(key).role", message: "\"\(entry.role)\" is not one of portal, auditor, admin")
            }
            guard entry.sha256.utf8.count == 64, entry.sha256.utf8.allSatisfy({ Self.isLowerHex($0) }) else {
                throw ConfigKeyError(file: path, key: "\(key).sha256", message: "must be 64 lowercase hex digits")
            }
            if let expires = entry.expires, RFC3339.parse(expires) == nil {
                throw ConfigKeyError(file: path, key: "\(key).expires", message: "\"\(expires)\" is not an RFC 3339 time such as 2027-03-01T00:00:00Z")
            }
        }
        return TokenFile(entries: document.tokens)
    }

    /// Writes the file atomically with mode 0600.
    ///
    /// The new file belongs to `owner` when given; otherwise a file it replaces keeps its owner
    /// and group (when the caller may give it them, i.e. is root or the owner), so that root
    /// editing the daemon's tokens never leaves a file the daemon's user cannot read. The owner is
    /// set before the new file takes the name: the daemon never sees it unreadable.
    /// - Parameters:
    ///   - path: the file.
    ///   - owner: who the file is given to (needs root), or `nil` to keep the replaced file's.
    public func save(path: String, owner: FileOwner? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(Document(tokens: entries))
        data.append(0x0A)
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigKeyError(file: path, key: "(file)", message: "cannot be written")
        }
        do {
            if let owner {
                try owner.apply(to: temporary.path)
            } else if let previous = FileOwner.of(path: path) {
                // Best effort: a user who may not give the file away keeps it, as before.
                try? previous.apply(to: temporary.path)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ConfigKeyError(file: path, key: "(file)", message: "\(error)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ConfigKeyError(file: path, key: "(file)", message: "cannot be replaced (errno \(errno))")
        }
    }

    /// Adds a token with a fresh random secret and returns the secret, which is stored nowhere.
    /// - Parameters:
    ///   - name: a unique name.
    ///   - role: `portal`, `auditor` or `admin`.
    ///   - now: the creation time.
    ///   - expires: when the token stops being accepted; `nil` (default): never. Must be after `now`.
    /// - Returns: the secret to hand to the token's holder.
    public mutating func create(name: String, role: Role, now: Date = Date(), expires: Date? = nil) throws -> String {
        guard role != .department else {
            throw ConfigKeyError(file: "(tokens)", key: "role", message: "departments authenticate with certificates, not tokens")
        }
        guard !name.isEmpty, !entries.contains(where: { $0.name == name }) else {
            throw ConfigKeyError(file: "(tokens)", key: "name", message: "\"\(name)\" is empty or already used")
        }
        var expiry: String?
        if let expires {
            guard expires > now else {
                throw ConfigKeyError(file: "(tokens)", key: "expires", message: "the expiry must lie in the future")
            }
            guard expires.timeIntervalSince1970 < Double(RFC3339.latestNanoseconds / 1_000_000_000) else {
                throw ConfigKeyError(file: "(tokens)", key: "expires", message: "the expiry is too far in the future")
            }
            // Whole seconds, written as such (`2027-03-01T00:00:00Z`).
            expiry = RFC3339.format(nanoseconds: UInt64(expires.timeIntervalSince1970) * 1_000_000_000)
                .replacingOccurrences(of: ".000000000Z", with: "Z")
        }
        let secret = Self.newSecret()
        let nanoseconds = UInt64(max(0, now.timeIntervalSince1970) * 1_000_000_000)
        entries.append(Entry(
            name: name, role: role.rawValue, sha256: Self.hash(secret: secret),
            created: RFC3339.format(nanoseconds: nanoseconds), expires: expiry))
        return secret
    }

    /// Marks the named token revoked.
    /// - Returns: `false` when no token has that name.
    public mutating func revoke(name: String) -> Bool {
        guard let index = entries.firstIndex(where: { $0.name == name }) else { return false }
        entries[index].revoked = true
        return true
    }

    /// Lowercase hex SHA-256 of the secret's UTF-8 bytes.
    public static func hash(secret: String) -> String {
        PeerCertificate.hex(SHA256.hash(data: Array(secret.utf8)))
    }

    /// A new secret: `dx_` and 32 random bytes in base64url.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "dx_" + base64
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
