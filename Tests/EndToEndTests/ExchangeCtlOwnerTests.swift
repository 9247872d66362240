import ExchangeIdentity
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--owner` of the real `exchangectl`: the files the daemon reads are given to its user, so a
/// daemon that runs as its own user can read the keys and tokens root wrote at install time.
/// Changing owners needs root; the suite runs only as root (CI does).
@Suite("exchangectl --owner", .enabled(if: getuid() == 0, "giving files away needs root"))
struct ExchangeCtlOwnerTests {
    /// `nobody`, who exists on every Linux system and owns nothing of the test's.
    static func nobody() throws -> FileOwner {
        try FileOwner(parsing: "nobody")
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("pki init --owner: the daemon's keys are its own 0600, the directory its group's 0750, the CA key and client keys stay root's")
    func pkiInitOwner() throws {
        let directory = try TemporaryDirectory()
        let nobody = try Self.nobody()
        let outcome = try ExchangeCtlClientTests.run(
            ["pki", "init", "--config-dir", directory.path, "--department", "tax-bureau", "--owner", "nobody"], in: directory)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let pki = directory.file("pki")
        for name in ["server.key", "audit.key"] {
            #expect(FileOwner.of(path: pki + "/" + name) == nobody, "\(name)")
            #expect(try Self.mode(pki + "/" + name) == 0o600, "\(name)")
        }
        #expect(FileOwner.of(path: pki)?.group == nobody.group)
        #expect(FileOwner.of(path: pki)?.user == 0)
        #expect(try Self.mode(pki) == 0o750)
        for name in ["ca.key", "clients/tax-bureau.key"] {
            #expect(FileOwner.of(path: pki + "/" + name) == FileOwner(user: 0, group: 0), "\(name)")
            #expect(try Self.mode(pki + "/" + name) == 0o600, "\(name)")
        }
        #expect(FileOwner.of(path: pki + "/clients")?.user == 0)
        #expect(try Self.mode(pki + "/clients") == 0o700)
    }

    @Test("token create --owner gives the file away; a later revoke by root keeps its owner")
    func tokenOwnerKept() throws {
        let directory = try TemporaryDirectory()
        let nobody = try Self.nobody()
        let tokens = directory.file("tokens.json")
        let created = try ExchangeCtlClientTests.run(
            ["token", "create", "--role", "admin", "--name", "ops", "--tokens", tokens, "--owner", "nobody"], in: directory)
        #expect(created.status == 0, "\(created.standardError)")
        #expect(FileOwner.of(path: tokens) == nobody)
        #expect(try Self.mode(tokens) == 0o600)

        // Without --owner, root replacing the file must not leave one the daemon cannot read.
        let second = try ExchangeCtlClientTests.run(
            ["token", "create", "--role", "auditor", "--name", "audit", "--tokens", tokens], in: directory)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(FileOwner.of(path: tokens) == nobody)
        let revoked = try ExchangeCtlClientTests.run(["token", "revoke", "--name", "ops", "--tokens", tokens], in: directory)
        #expect(revoked.status == 0, "\(revoked.standardError)")
        #expect(FileOwner.of(path: tokens) == nobody)
        #expect(try Self.mode(tokens) == 0o600)
    }

    @Test("audit keygen --owner gives the private key away, the public key stays readable")
    func auditKeygenOwner() throws {
        let directory = try TemporaryDirectory()
        let key = directory.file("audit.key")
        let outcome = try ExchangeCtlClientTests.run(["audit", "keygen", "--out", key, "--owner", "nobody"], in: directory)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(FileOwner.of(path: key) == (try Self.nobody()))
        #expect(try Self.mode(key) == 0o600)
        #expect(FileOwner.of(path: key + ".pub")?.user == 0)
    }

    @Test("an unknown --owner is refused before anything is written")
    func unknownOwner() throws {
        let directory = try TemporaryDirectory()
        let outcome = try ExchangeCtlClientTests.run(
            ["pki", "init", "--config-dir", directory.path, "--department", "tax-bureau", "--owner", "no-such-user-x"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("error: usage.invalid: --owner no-such-user-x: no user \"no-such-user-x\""))
        #expect(!FileManager.default.fileExists(atPath: directory.file("pki")))
    }
}
