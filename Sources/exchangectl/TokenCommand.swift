import ArgumentParser
import ExchangeIdentity
import ExchangeModel
import Foundation

/// `exchangectl token create|revoke|list`: bearer tokens for the portal, auditors and admins.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage bearer tokens (stored as SHA-256 hashes only).",
        subcommands: [Create.self, Revoke.self, List.self])

    struct FileOption: ParsableArguments {
        @Option(
            help: "The tokens file (server.tokens_file of the configuration). A file replaced keeps its owner and group unless --owner is given.")
        var tokens = "Config/tokens.json"

        func load() throws -> TokenFile {
            do {
                return try TokenFile.load(path: tokens)
            } catch {
                throw ValidationError("\(error)")
            }
        }

        /// Writes the file: given to `owner`, else with the owner of the file it replaces.
        func save(_ file: TokenFile, owner: FileOwner?) throws {
            do {
                try file.save(path: tokens, owner: owner)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print its secret once.")

        @Option(help: "portal, auditor, admin or operator (hot backups; /metrics under server.metrics_access: operator).")
        var role: String

        @Option(help: "A unique name; the actor of audit entries.")
        var name: String

        @Option(help: "Refuse the token after this long: a number with d, h, m or s, e.g. 90d (at most 3650d). Default: never.")
        var expiresIn: String?

        @Option(help: "Refuse the token from this RFC 3339 time, e.g. 2027-03-01T00:00:00Z. Default: never.")
        var expiresAt: String?

        @OptionGroup var file: FileOption

        @OptionGroup var owner: OwnerOption

        /// The longest `--expires-in`: ten years.
        static let longestLifetime = 3650 * 86_400

        /// `--expires-in` as seconds: a positive number with `d`, `h`, `m` or `s`.
        static func lifetime(_ text: String) -> Int? {
            let units: [Character: Int] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
            guard let unit = text.last.flatMap({ units[$0] }), let count = Int(text.dropLast()), count > 0,
                count <= longestLifetime / unit
            else { return nil }
            return count * unit
        }

        func run() throws {
            let owner = try owner.resolve()
            guard let role = Role(rawValue: role), role != .department else {
                throw ValidationError("--role must be portal, auditor, admin or operator")
            }
            let now = Date()
            var expires: Date?
            switch (expiresIn, expiresAt) {
            case (.some, .some):
                throw ValidationError("give --expires-in or --expires-at, not both")
            case (.some(let text), nil):
                guard let seconds = Self.lifetime(text) else {
                    throw ValidationError("--expires-in \(text): not a lifetime such as 90d, 12h, 30m (at most 3650d)")
                }
                expires = now.addingTimeInterval(TimeInterval(seconds))
            case (nil, .some(let text)):
                guard let nanoseconds = RFC3339.parse(text) else {
                    throw ValidationError("--expires-at \(text): not an RFC 3339 time such as 2027-03-01T00:00:00Z")
                }
                expires = Date(timeIntervalSince1970: TimeInterval(nanoseconds / 1_000_000_000))
            case (nil, nil):
                expires = nil
            }
            var tokens = try file.load()
            let secret: String
            do {
                secret = try tokens.create(name: name, role: role, now: now, expires: expires)
            } catch {
                throw ValidationError("\(error)")
            }
            try file.save(tokens, owner: owner)
            let expiry = tokens.entries.last?.expires.map { ", expires \($0)" } ?? ", does not expire"
            print("created \(role) token \"\(name)\" in \(file.tokens)\(expiry)")
            print("secret (shown once, not stored): \(secret)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")

        @Option(help: "The token's name.")
        var name: String

        @OptionGroup var file: FileOption

        @OptionGroup var owner: OwnerOption

        func run() throws {
            let owner = try owner.resolve()
            var tokens = try file.load()
            guard tokens.revoke(name: name) else { throw ValidationError("no token named \"\(name)\" in \(file.tokens)") }
            try file.save(tokens, owner: owner)
            print("revoked token \"\(name)\"")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tokens (names, roles, state; never secrets).",
            discussion: "One line a token: name, role, created, state (active, revoked or expired), expires (or `never`), tab-separated.")

        @OptionGroup var file: FileOption

        func run() throws {
            let tokens = try file.load()
            if tokens.entries.isEmpty { print("no tokens in \(file.tokens)") }
            let now = UInt64(max(0, Date().timeIntervalSince1970) * 1_000_000_000)
            for entry in tokens.entries {
                let expired = entry.expires.flatMap(RFC3339.parse).map { now >= $0 } ?? false
                let state = entry.revoked ? "revoked" : expired ? "expired" : "active"
                print("\(entry.name)\t\(entry.role)\t\(entry.created)\t\(state)\t\(entry.expires ?? "never")")
            }
        }
    }
}
