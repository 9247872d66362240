import ExchangeAudit
import ExchangeEngine
import ExchangeStore
import Foundation
import Testing

/// Several signing keys: every checkpoint carries one signature line of each, in order, and
/// verifies with any one of them pinned alone.
@Suite struct CheckpointIssuerSignersTests {
    @Test func everyCheckpointCarriesOneSignatureOfEachKey() async throws {
        let (store, directory) = try CheckpointIssuerTests.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let ed25519 = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate(.ed25519))
        let sm2 = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate(.sm2))
        let issuer = try CheckpointIssuer(store: store, signers: [ed25519, sm2], configuration: .init())
        #expect(try issuer.verifierKeys == [ed25519.verifier.verifierKey, sm2.verifier.verifierKey])
        _ = try await store.appendAudit(CheckpointIssuerTests.entries(4))
        let stored = try #require(try await issuer.issue())
        let note = try SignedNote(parsing: stored.note)
        #expect(note.signatures.map(\.keyID) == [ed25519.keyID, sm2.keyID])
        #expect(try CheckpointIssuerTests.checkKept(store, ed25519) == [4])
        #expect(try CheckpointIssuerTests.checkKept(store, sm2) == [4])
        // A verifier that knows neither key learns nothing from it.
        let stranger = try NoteSigner(name: "exchange.test/audit", key: SigningKey.generate())
        #expect(throws: AuditError.self) { try Checkpoint(verifying: stored.note, using: [stranger.verifier]) }
    }

    @Test func refusesNoKeyAndKeysUnderDifferentNames() throws {
        let (store, directory) = try CheckpointIssuerTests.fixture()
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        #expect(throws: AuditError.self) { try CheckpointIssuer(store: store, signers: [], configuration: .init()) }
        let one = try NoteSigner(name: "a/audit", key: SigningKey.generate())
        let other = try NoteSigner(name: "b/audit", key: SigningKey.generate())
        #expect(throws: AuditError.self) { try CheckpointIssuer(store: store, signers: [one, other], configuration: .init()) }
    }
}
