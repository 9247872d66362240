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
        @Option(help: "The tokens file (server.tokens_file of the configuration).")
        var tokens = "Config/tokens.json"

        func load() throws -> TokenFile {
            do {
                return try TokenFile.load(path: tokens)
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

        func run() throws {
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
            try tokens.save(path: file.tokens)
            print("created \(role) token \"\(name)\" in \(file.tokens)")
            print("secret (shown once, not stored): \(secret)")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")

        @Option(help: "The token's name.")
        var name: String

        @OptionGroup var file: FileOption

        func run() throws {
            var tokens = try file.load()
            guard tokens.revoke(name: name) else { throw ValidationError("no token named \"\(name)\" in \(file.tokens)") }
            try tokens.save(path: file.tokens)
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
