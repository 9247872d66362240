import ExchangeAudit
import ExchangeConfig
import ExchangeEngine
import ExchangeStore
import Foundation
import TestSupport
import Testing

@Suite("Audit configuration")
struct AuditConfigurationTests {
    static let tls = """
        server:
          tls:
            certificate: pki/server.crt
            private_key: pki/server.key
            client_ca: pki/ca.crt

        """

    static func parse(_ audit: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration.parse(yaml: tls + audit, path: "/etc/exchange/exchange.yaml")
    }

    static func problem(_ audit: String) -> ConfigKeyError? {
        do {
            _ = try parse(audit)
            return nil
        } catch {
            return error as? ConfigKeyError
        }
    }

    @Test func defaultsIssueNoCheckpointsWithoutAKey() throws {
        let configuration = try Self.parse("")
        #expect(configuration.audit == AuditConfiguration())
        #expect(configuration.audit.signingKeyPath == nil)
        #expect(try configuration.audit.makeSigner() == nil)
        #expect(configuration.audit.origin == "data-exchange/audit")
        #expect(configuration.audit.checkpoints.everyEntries == 1000)
        #expect(configuration.audit.checkpoints.interval == .seconds(60))
        #expect(configuration.store.auditHash == .sha256)
    }

    @Test func readsEveryKey() throws {
        let configuration = try Self.parse(
            """
            audit:
              origin: tax.example.gov/audit
              signing_key: pki/audit.key
              hash: sm3
              checkpoint_every_entries: 250
              checkpoint_interval: 5m

            """)
        #expect(configuration.audit.origin == "tax.example.gov/audit")
        #expect(configuration.audit.signingKeyPath == "/etc/exchange/pki/audit.key")
        #expect(configuration.store.auditHash == .sm3)
        #expect(configuration.audit.checkpoints.everyEntries == 250)
        #expect(configuration.audit.checkpoints.interval == .seconds(300))
        #expect(try Self.parse("audit:\n  checkpoint_interval: 500ms\n").audit.checkpoints.interval == .milliseconds(500))
        #expect(try Self.parse("audit:\n  checkpoint_interval: 30\n").audit.checkpoints.interval == .seconds(30))
        // An interval under the default minimum (1 s) lowers the minimum with it.
        #expect(try Self.parse("audit:\n  checkpoint_interval: 500ms\n").audit.checkpoints.minimumInterval == .milliseconds(500))
        #expect(try Self.parse("audit:\n  checkpoint_min_interval: 5s\n").audit.checkpoints.minimumInterval == .seconds(5))
    }

    @Test func refusesBadValues() {
        #expect(Self.problem("audit:\n  hash: md5\n")?.key == "audit.hash")
        #expect(Self.problem("audit:\n  origin: has space\n")?.key == "audit.origin")
        #expect(Self.problem("audit:\n  origin: a+b\n")?.key == "audit.origin")
        #expect(Self.problem("audit:\n  checkpoint_every_entries: 0\n")?.key == "audit.checkpoint_every_entries")
        #expect(Self.problem("audit:\n  checkpoint_interval: soon\n")?.key == "audit.checkpoint_interval")
        #expect(Self.problem("audit:\n  checkpoint_interval: 1ms\n")?.key == "audit.checkpoint_interval")
        #expect(Self.problem("audit:\n  checkpoint_every: 10\n")?.key == "audit.checkpoint_every")
        // A minimum above the interval could never be kept.
        #expect(
            Self.problem("audit:\n  checkpoint_interval: 10s\n  checkpoint_min_interval: 20s\n")?.key == "audit.checkpoint_min_interval")
    }

    /// `audit.principal_refusals.*`: read with their documented defaults, refused out of range.
    @Test func principalRefusalsAreReadAndRangeChecked() throws {
        #expect(try Self.parse("").audit.principalRefusals == .init(intervalSeconds: 60, burst: 20, maxPrincipals: 1000))
        let read = try Self.parse("audit:\n  principal_refusals:\n    interval: 5m\n    burst: 0\n    max_principals: 7\n").audit
        #expect(read.principalRefusals == .init(intervalSeconds: 300, burst: 0, maxPrincipals: 7))
        #expect(Self.problem("audit:\n  principal_refusals:\n    interval: 500ms\n")?.key == "audit.principal_refusals.interval")
        #expect(Self.problem("audit:\n  principal_refusals:\n    interval: 2h\n")?.key == "audit.principal_refusals.interval")
        #expect(Self.problem("audit:\n  principal_refusals:\n    burst: -1\n")?.key == "audit.principal_refusals.burst")
        #expect(Self.problem("audit:\n  principal_refusals:\n    max_principals: 0\n")?.key == "audit.principal_refusals.max_principals")
        #expect(Self.problem("audit:\n  principal_refusals:\n    rate: 5\n")?.key == "audit.principal_refusals.rate")
    }

    /// `audit.read_limit.*`: read with their documented defaults, refused out of range.
    @Test func theReadLimitIsReadAndRangeChecked() throws {
        #expect(try Self.parse("").audit.readLimit == .init(perSecond: 100, burst: 500))
        #expect(try Self.parse("audit:\n  read_limit:\n    per_second: 0\n    burst: 1\n").audit.readLimit == .init(perSecond: 0, burst: 1))
        #expect(try Self.parse("audit:\n  read_limit:\n    per_second: 2000\n").audit.readLimit == .init(perSecond: 2000, burst: 500))
        #expect(try Self.parse("audit:\n  read_limit:\n    per_second: 0.25\n").audit.readLimit == .init(perSecond: 0.25, burst: 500))
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: -1\n")?.key == "audit.read_limit.per_second")
        // A rate so low that the wait it asks would not fit is refused, not trapped on later.
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: 0.0001\n")?.key == "audit.read_limit.per_second")
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: 1e-11\n")?.key == "audit.read_limit.per_second")
        #expect(try Self.parse("audit:\n  read_limit:\n    per_second: 0.001\n").audit.readLimit.perSecond == 0.001)
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: fast\n")?.key == "audit.read_limit.per_second")
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: true\n")?.key == "audit.read_limit.per_second")
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: .nan\n")?.key == "audit.read_limit.per_second")
        #expect(Self.problem("audit:\n  read_limit:\n    per_second: 1000001\n")?.key == "audit.read_limit.per_second")
        #expect(Self.problem("audit:\n  read_limit:\n    burst: 0\n")?.key == "audit.read_limit.burst")
        #expect(Self.problem("audit:\n  read_limit:\n    rate: 5\n")?.key == "audit.read_limit.rate")
    }

    @Test func aMissingOrWrongKeyFileIsAClearError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = AuditConfiguration(signingKeyPath: directory.file("absent.key"))
        #expect(throws: ConfigKeyError.self) { try missing.makeSigner() }
        let key = try SigningKey.generate(.sm2)
        try key.writePEM(toFile: directory.file("audit.key"))
        let signer = try #require(try AuditConfiguration(origin: "o/audit", signingKeyPath: directory.file("audit.key")).makeSigner())
        #expect(signer.name == "o/audit")
        #expect(signer.key.algorithm == .sm2)
    }

    @Test func theShippedConfigurationSignsWithTheDevelopmentKey() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/exchange.yaml").standardized.path
        let configuration = try ExchangeConfiguration.load(path: path)
        #expect(configuration.audit.signingKeyPath?.hasSuffix("Config/pki/audit.key") == true)
        #expect(configuration.store.auditHash == .sha256)
    }
}
