import Crypto
import ExchangeConfig
import ExchangeModel
import Foundation
public import Logging
import Synchronization

/// The bearer tokens the server accepts, loaded from a ``TokenFile`` and reloaded when it changes.
///
/// Lookups hash the presented secret with SHA-256 and compare it with every stored hash in
/// constant time. A lookup first checks the file's inode, modification time and size (one
/// `stat`, at most once per `reloadInterval`, by default every lookup) and reloads it when any
/// changed, so a token revoked with `exchangectl token revoke` is refused from the next request
/// on; a file that fails to load keeps the previous tokens and logs the error.
public final class TokenStore: Sendable {
    /// A change between two loads of the tokens file, for the audit log.
    public struct Change: Hashable, Sendable {
        /// What happened to the token.
        public enum Kind: String, Hashable, Sendable {
            /// A token name appeared.
            case created
            /// A token was marked revoked.
            case revoked
            /// A revoked token was marked valid again.
            case reinstated
            /// A token name disappeared from the file.
            case removed
        }

        /// The token's name.
        public var name: String
        /// Its role.
        public var role: Role
        /// What happened.
        public var kind: Kind

        /// Creates a change.
        public init(name: String, role: Role, kind: Kind) {
            self.name = name
            self.role = role
            self.kind = kind
        }
    }

    private struct Token: Sendable {
        var name: String
        var role: Role
        var hash: [UInt8]
        var revoked: Bool
        /// Nanoseconds since 1970 from which the token is refused; `nil`: never.
        var expires: UInt64?
    }

    /// What a presented secret is.
    public enum Lookup: Sendable, Equatable {
        /// A valid token: its principal.
        case valid(Principal)
        /// A known, unrevoked token past its expiry: its name and expiry (RFC 3339).
        case expired(name: String, expires: String)
        /// An unknown or revoked secret.
        case invalid
    }

    private struct State: Sendable {
        var tokens: [Token] = []
        var fileStamp: FileStamp?
        var lastCheck: ContinuousClock.Instant?
    }

    /// What identifies one version of the file: `exchangectl token` replaces it by renaming a
    /// new file over it, so the inode changes with every write, and the modification time and
    /// size change with edits in place.
    private struct FileStamp: Equatable, Sendable {
        var inode: UInt64
        var modified: Date
        var size: Int
    }

    /// The tokens file, or `nil` for a store that accepts no tokens.
    public let path: String?
    private let reloadInterval: Duration
    private let logger: Logger
    private let state: Mutex<State>
    private let onChange: (@Sendable ([Change]) -> Void)?

    /// Loads the tokens file at `path`.
    /// - Parameters:
    ///   - path: the tokens file; `nil` accepts no tokens. A missing file is empty until created.
    ///   - reloadInterval: how often lookups look for a changed file; default every lookup.
    ///   - logger: where reloads and reload failures are logged.
    ///   - onChange: called after a reload with what changed (tokens created, revoked, reinstated,
    ///     removed), so that the daemon can audit it.
    /// - Throws: ``ConfigKeyError`` when the file exists but is malformed.
    public init(
        path: String?, reloadInterval: Duration = .zero, logger: Logger = Logger(label: "exchange.tokens"),
        onChange: (@Sendable ([Change]) -> Void)? = nil
    ) throws {
        self.path = path
        self.onChange = onChange
        self.reloadInterval = reloadInterval
        self.logger = logger
        self.state = Mutex(State())
        if let path {
            let (tokens, stamp) = try Self.read(path: path)
            state.withLock {
                $0.tokens = tokens
                $0.fileStamp = stamp
                $0.lastCheck = .now
            }
        }
    }

    /// The principal of a presented secret.
    /// - Parameter secret: the text after `Bearer `.
    /// - Returns: `.token(name:role:)`, or `nil` for an unknown or revoked secret.
    public func principal(forSecret secret: String) -> Principal? {
        guard case .valid(let principal) = lookup(secret: secret) else { return nil }
        return principal
    }

    /// What a presented secret is: a valid token's principal, an expired token, or nothing.
    /// - Parameters:
    ///   - secret: the text after `Bearer `.
    ///   - now: the time to judge expiry by, nanoseconds since 1970; default the system clock.
    public func lookup(secret: String, now: UInt64? = nil) -> Lookup {
        reloadIfDue()
        let presented = Array(SHA256.hash(data: Array(secret.utf8)))
        let tokens = state.withLock { $0.tokens }
        var found: Token?
        for token in tokens where Self.constantTimeEqual(token.hash, presented) {
            found = token
        }
        guard let found, !found.revoked else { return .invalid }
        if let expires = found.expires {
            let now = now ?? UInt64(max(0, Date().timeIntervalSince1970) * 1_000_000_000)
            if now >= expires { return .expired(name: found.name, expires: RFC3339.format(nanoseconds: expires)) }
        }
        return .valid(.token(name: found.name, role: found.role))
    }

    /// Reloads the file now when its modification time or size changed.
    /// - Returns: whether it was reloaded.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        guard let path else { return false }
        let stamp = Self.stamp(path: path)
        let unchanged = state.withLock { state -> Bool in
            state.lastCheck = .now
            return state.fileStamp == stamp
        }
        if unchanged { return false }
        do {
            let (tokens, newStamp) = try Self.read(path: path)
            let previous = state.withLock { state -> [Token] in
                defer {
                    state.tokens = tokens
                    state.fileStamp = newStamp
                }
                return state.tokens
            }
            logger.info("tokens reloaded", metadata: ["file": "\(path)", "tokens": "\(tokens.count)"])
            let changes = Self.changes(from: previous, to: tokens)
            if !changes.isEmpty { onChange?(changes) }
            return true
        } catch {
            logger.error("tokens file not reloaded, keeping the previous tokens", metadata: ["error": "\(error)"])
            state.withLock { $0.fileStamp = stamp }
            return false
        }
    }

    private static func changes(from old: [Token], to new: [Token]) -> [Change] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        var changes: [Change] = []
        for token in new where before[token.name] == nil || before[token.name]?.hash != token.hash {
            changes.append(Change(name: token.name, role: token.role, kind: .created))
        }
        for token in new {
            guard let earlier = before[token.name], earlier.hash == token.hash, earlier.revoked != token.revoked else { continue }
            changes.append(Change(name: token.name, role: token.role, kind: token.revoked ? .revoked : .reinstated))
        }
        for token in old where after[token.name] == nil {
            changes.append(Change(name: token.name, role: token.role, kind: .removed))
        }
        return changes
    }

    private func reloadIfDue() {
        guard path != nil else { return }
        let due = state.withLock { state -> Bool in
            guard let last = state.lastCheck else { return true }
            return last.duration(to: .now) >= reloadInterval
        }
        if due { reloadIfChanged() }
    }

    private static func read(path: String) throws -> ([Token], FileStamp?) {
        let stamp = stamp(path: path)
        let file = try TokenFile.load(path: path)
        let tokens = file.entries.compactMap { entry -> Token? in
            guard let role = Role(rawValue: entry.role), let hash = bytes(hex: entry.sha256) else { return nil }
            return Token(name: entry.name, role: role, hash: hash, revoked: entry.revoked, expires: entry.expires.flatMap(RFC3339.parse))
        }
        return (tokens, stamp)
    }

    /// The stamp of the file `path` names, through any symbolic links (`attributesOfItem` does
    /// not follow them): a Kubernetes Secret volume publishes `tokens.json -> ..data/tokens.json`
    /// and swaps `..data` on an update, so the link itself never changes.
    private static func stamp(path: String) -> FileStamp? {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target),
            let modified = attributes[.modificationDate] as? Date,
            let size = attributes[.size] as? Int
        else { return nil }
        let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        return FileStamp(inode: inode, modified: modified, size: size)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
