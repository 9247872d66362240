import ExchangeConfig
import ExchangeIdentity
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@Suite("Token store")
struct TokenStoreTests {
    @Test func storesOnlyTheHashAndAuthenticates() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        let secret = try file.create(name: "portal-1", role: .portal)
        let auditor = try file.create(name: "audit", role: .auditor)
        try file.save(path: path)

        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(text.contains(TokenFile.hash(secret: secret)))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let store = try TokenStore(path: path)
        #expect(store.principal(forSecret: secret) == .token(name: "portal-1", role: .portal))
        #expect(store.principal(forSecret: auditor) == .token(name: "audit", role: .auditor))
        #expect(store.principal(forSecret: secret + "x") == nil)
        #expect(store.principal(forSecret: "") == nil)
    }

    @Test func refusesRevokedAndReloadsChanges() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        let secret = try file.create(name: "admin", role: .admin)
        try file.save(path: path)
        let store = try TokenStore(path: path, reloadInterval: .zero)
        #expect(store.principal(forSecret: secret) == .token(name: "admin", role: .admin))

        var changed = try TokenFile.load(path: path)
        let revoked = changed.revoke(name: "admin")
        #expect(revoked)
        let added = try changed.create(name: "late", role: .portal)
        try changed.save(path: path)
        #expect(store.principal(forSecret: secret) == nil)
        #expect(store.principal(forSecret: added) == .token(name: "late", role: .portal))
    }

    @Test func reportsCreatedRevokedAndRemovedTokensForTheAuditLog() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        _ = try file.create(name: "admin", role: .admin)
        _ = try file.create(name: "old", role: .auditor)
        try file.save(path: path)
        let reported = Mutex<[TokenStore.Change]>([])
        let store = try TokenStore(path: path, reloadInterval: .zero) { changes in reported.withLock { $0 += changes } }
        #expect(!store.reloadIfChanged())
        #expect(reported.withLock { $0 }.isEmpty)

        var changed = try TokenFile.load(path: path)
        _ = changed.revoke(name: "admin")
        _ = try changed.create(name: "portal", role: .portal)
        changed.entries.removeAll { $0.name == "old" }
        try changed.save(path: path)
        #expect(store.reloadIfChanged())
        #expect(
            Set(reported.withLock { $0 }) == [
                TokenStore.Change(name: "portal", role: .portal, kind: .created),
                TokenStore.Change(name: "admin", role: .admin, kind: .revoked),
                TokenStore.Change(name: "old", role: .auditor, kind: .removed),
            ])
    }

    @Test func keepsTokensWhenTheFileBreaks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        let secret = try file.create(name: "portal", role: .portal)
        try file.save(path: path)
        let store = try TokenStore(path: path, reloadInterval: .zero, logger: Logger(label: "quiet", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try directory.write("tokens.json", "{ not json")
        #expect(store.principal(forSecret: secret) == .token(name: "portal", role: .portal))
    }

    @Test func rejectsMalformedFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hash = String(repeating: "a", count: 64)
        let badRole = try directory.write("r.json", #"{"tokens":[{"name":"x","role":"department","sha256":"\#(hash)","created":"2026-01-01T00:00:00Z","revoked":false}]}"#)
        #expect(throws: ConfigKeyError.self) { try TokenFile.load(path: badRole) }
        do {
            _ = try TokenFile.load(path: badRole)
        } catch let error as ConfigKeyError {
            #expect(error.key == "tokens[0].role")
        }
        let badHash = try directory.write("h.json", #"{"tokens":[{"name":"x","role":"admin","sha256":"ABC","created":"2026-01-01T00:00:00Z","revoked":false}]}"#)
        #expect(throws: ConfigKeyError.self) { try TokenStore(path: badHash) }
        let duplicate = try directory.write(
            "d.json",
            #"{"tokens":[{"name":"x","role":"admin","sha256":"\#(hash)","created":"c","revoked":false},{"name":"x","role":"admin","sha256":"\#(hash)","created":"c","revoked":false}]}"#)
        #expect(throws: ConfigKeyError.self) { try TokenFile.load(path: duplicate) }
        var file = TokenFile()
        #expect(throws: ConfigKeyError.self) { try file.create(name: "d", role: .department) }
        _ = try file.create(name: "n", role: .admin)
        #expect(throws: ConfigKeyError.self) { try file.create(name: "n", role: .portal) }
    }

    @Test func missingFileHasNoTokens() throws {
        let store = try TokenStore(path: "/nonexistent/tokens.json")
        #expect(store.principal(forSecret: "dx_anything") == nil)
    }

    /// With the default settings a revoked token is refused by the very next lookup: every
    /// lookup checks the file, whose inode changes with each save.
    @Test func aRevokedTokenIsRefusedByTheNextLookup() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        let secret = try file.create(name: "auditor-1", role: .auditor)
        try file.save(path: path)
        let store = try TokenStore(path: path)
        #expect(store.principal(forSecret: secret) == .token(name: "auditor-1", role: .auditor))
        let found = file.revoke(name: "auditor-1")
        #expect(found)
        try file.save(path: path)
        #expect(store.principal(forSecret: secret) == nil)
    }
}
