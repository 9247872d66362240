import ExchangeConfig
import Foundation
import Testing

@Suite("Console configuration")
struct ConsoleConfigurationTests {
    static func parse(_ section: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration.parse(yaml: AuditConfigurationTests.tls + section, path: "/etc/exchange/exchange.yaml")
    }

    @Test func defaults() throws {
        let console = try Self.parse("").console
        #expect(console == ConsoleConfiguration())
        #expect(console.enabled)
        #expect(console.sessionLifetime == .seconds(1800))
        #expect(console.maxSessions == 1000)
    }

    @Test func readsEveryKey() throws {
        let console = try Self.parse(
            """
            console:
              enabled: false
              session_lifetime: 2h
              max_sessions: 50
            """
        ).console
        #expect(console == ConsoleConfiguration(enabled: false, sessionLifetime: .seconds(7200), maxSessions: 50))
    }

    @Test(arguments: [
        ("console:\n  enabled: maybe\n", "console.enabled"),
        ("console:\n  session_lifetime: 30s\n", "console.session_lifetime"),
        ("console:\n  session_lifetime: 13h\n", "console.session_lifetime"),
        ("console:\n  max_sessions: 0\n", "console.max_sessions"),
        ("console:\n  max_sessions: 100001\n", "console.max_sessions"),
        ("console:\n  listen: 8443\n", "console.listen"),
    ])
    func badValuesAreRefusedNamingTheKey(_ section: String, _ key: String) {
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse(section) }
        #expect(error?.key == key)
    }
}
