import ExchangeAudit
import ExchangeConfig
import Foundation
import TestSupport
import Testing

/// `audit.additional_signing_keys`: more keys that sign every checkpoint (a key rotation's
/// overlap, or SM2 beside Ed25519).
@Suite("Audit signing keys")
struct AuditSigningKeysTests {
    @Test func additionalKeysAreReadInOrderAndResolved() throws {
        let configuration = try AuditConfigurationTests.parse(
            """
            audit:
              signing_key: pki/audit.key
              additional_signing_keys: [pki/audit-next.key, /keys/audit-sm2.key]

            """)
        #expect(configuration.audit.signingKeyPath == "/etc/exchange/pki/audit.key")
        #expect(configuration.audit.additionalSigningKeyPaths == ["/etc/exchange/pki/audit-next.key", "/keys/audit-sm2.key"])
        #expect(try AuditConfigurationTests.parse("").audit.additionalSigningKeyPaths == [])
    }

    @Test func refusesBadLists() {
        let key = "audit.additional_signing_keys"
        #expect(AuditConfigurationTests.problem("audit:\n  signing_key: a.key\n  additional_signing_keys: b.key\n")?.key == key)
        #expect(AuditConfigurationTests.problem("audit:\n  additional_signing_keys: [b.key]\n")?.key == key, "needs audit.signing_key")
        #expect(AuditConfigurationTests.problem("audit:\n  signing_key: a.key\n  additional_signing_keys: [\"\"]\n")?.key == key)
        #expect(AuditConfigurationTests.problem("audit:\n  signing_key: a.key\n  additional_signing_keys: [1]\n")?.key == key)
        let nine = (0..<9).map { "k\($0).key" }.joined(separator: ", ")
        #expect(AuditConfigurationTests.problem("audit:\n  signing_key: a.key\n  additional_signing_keys: [\(nine)]\n")?.key == key)
    }

    @Test func makeSignersLoadsEveryKeyUnderTheOriginAndRefusesTheSameKeyTwice() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ed25519 = try SigningKey.generate(.ed25519)
        let sm2 = try SigningKey.generate(.sm2)
        try ed25519.writePEM(toFile: directory.file("a.key"))
        try sm2.writePEM(toFile: directory.file("b.key"))
        let both = AuditConfiguration(origin: "o/audit", signingKeyPath: directory.file("a.key"), additionalSigningKeyPaths: [directory.file("b.key")])
        let signers = try both.makeSigners()
        #expect(signers.map(\.key.algorithm) == [.ed25519, .sm2])
        #expect(signers.allSatisfy { $0.name == "o/audit" })
        #expect(try AuditConfiguration().makeSigners().isEmpty)

        let twice = AuditConfiguration(origin: "o/audit", signingKeyPath: directory.file("a.key"), additionalSigningKeyPaths: [directory.file("a.key")])
        #expect(throws: ConfigKeyError.self) { try twice.makeSigners() }
        let missing = AuditConfiguration(origin: "o/audit", signingKeyPath: directory.file("a.key"), additionalSigningKeyPaths: [directory.file("absent.key")])
        let error = try #require(throws: ConfigKeyError.self) { try missing.makeSigners() }
        #expect(error.key == "audit.additional_signing_keys")
    }
}
