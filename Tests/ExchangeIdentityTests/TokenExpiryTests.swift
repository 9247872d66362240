import ExchangeConfig
import ExchangeIdentity
import ExchangeModel
import Foundation
import TestSupport
import Testing

/// Tokens with an `expires` time: valid before it, `expired` from it on, never without one.
@Suite("Token expiry")
struct TokenExpiryTests {
    @Test func aTokenIsValidUntilItsExpiryAndExpiredFromIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        var file = TokenFile()
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let expiring = try file.create(name: "temp", role: .auditor, now: created, expires: created.addingTimeInterval(90 * 86_400))
        let lasting = try file.create(name: "lasting", role: .admin, now: created)
        try file.save(path: path)
        #expect(try TokenFile.load(path: path).entries.map(\.expires) == ["2027-04-15T08:00:00Z", nil])

        let store = try TokenStore(path: path)
        let expiry = try #require(RFC3339.parse("2027-04-15T08:00:00Z"))
        #expect(store.lookup(secret: expiring, now: expiry - 1) == .valid(.token(name: "temp", role: .auditor)))
        #expect(store.lookup(secret: expiring, now: expiry) == .expired(name: "temp", expires: "2027-04-15T08:00:00.000000000Z"))
        #expect(store.lookup(secret: lasting, now: expiry * 2) == .valid(.token(name: "lasting", role: .admin)))
        #expect(store.lookup(secret: "dx_unknown") == .invalid)
    }

    @Test func refusesAnExpiryInThePastOrAMalformedOne() throws {
        var file = TokenFile()
        let now = Date()
        #expect(throws: ConfigKeyError.self) { try file.create(name: "late", role: .portal, now: now, expires: now.addingTimeInterval(-1)) }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("tokens.json")
        let hash = String(repeating: "a", count: 64)
        try """
        {"tokens":[{"name":"p","role":"portal","sha256":"\(hash)","created":"2026-01-01T00:00:00Z","revoked":false,"expires":"soon"}]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigKeyError.self) { try TokenFile.load(path: path) }
        #expect(error.key == "tokens[0].expires")
    }
}
