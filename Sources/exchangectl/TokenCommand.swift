import ArgumentParser
import ExchangeIdentity
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

        @Option(help: "portal, auditor or admin.")
        var role: String

        @Option(help: "A unique name; the actor of audit entries.")
        var name: String

        @OptionGroup var file: FileOption

        @OptionGroup var owner: OwnerOption

        func run() throws {
            let owner = try owner.resolve()
            guard let role = Role(rawValue: role), role != .department else {
                throw ValidationError("--role must be portal, auditor or admin")
            }
            var tokens = try file.load()
            let secret: String
            do {
                secret = try tokens.create(name: name, role: role)
            } catch {
                throw ValidationError("\(error)")
            }
            try file.save(tokens, owner: owner)
            print("created \(role) token \"\(name)\" in \(file.tokens)")
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
        static let configuration = CommandConfiguration(abstract: "List tokens (names, roles, state; never secrets).")

        @OptionGroup var file: FileOption

        func run() throws {
            let tokens = try file.load()
            if tokens.entries.isEmpty { print("no tokens in \(file.tokens)") }
            for entry in tokens.entries {
                print("\(entry.name)\t\(entry.role)\t\(entry.created)\t\(entry.revoked ? "revoked" : "active")")
            }
        }
    }
}
