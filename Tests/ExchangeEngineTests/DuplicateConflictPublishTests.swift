import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Synchronization
import Testing

/// A repeat of a message id with other content is refused as `publish.id_conflict`, audited,
/// naming the original; an exact repeat is still a duplicate. Through both publish calls.
@Suite struct DuplicateConflictPublishTests {
    private func lastAuditEntry(_ fixture: EngineFixture) throws -> [String: Any] {
        let entries = try fixture.store.auditEntries(from: 0, limit: .max)
        return try JSONSerialization.jsonObject(with: Data(try #require(entries.last))) as! [String: Any]
    }

    @Test func aRepeatWithOtherDataIsRefusedAuditedAndLeavesTheOriginal() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let original = EngineFixture.licence("e1")
        _ = try await fixture.exchange.publish([original], from: EngineFixture.msa)
        let changed = EngineFixture.licence("e1", number: "L-2")
        do {
            _ = try await fixture.exchange.publish([changed], from: EngineFixture.msa)
            Issue.record("a repeat with other content was accepted")
        } catch {
            #expect(error.code == .idConflict)
            #expect(error.kind == .conflict)
            #expect(error.originalSequence == 1)
            #expect(error.isAudited)
            #expect(error.message.contains("event 1"))
        }
        #expect(try fixture.auditKinds() == ["published", "rejected"])
        let rejected = try lastAuditEntry(fixture)
        #expect(rejected["reason"] as? String == "publish.id_conflict")
        #expect(rejected["original_sequence"] as? Int == 1)
        #expect(rejected["message_id"] as? String == "e1")
        #expect(fixture.store.lastSequence == 1)
        #expect(try fixture.store.event(1)?.envelope.data == original.data)

        let again = try await fixture.exchange.publish([original], from: EngineFixture.msa)
        #expect(again == [PublishOutcome(id: "e1", sequence: 1, isDuplicate: true, routeCount: 2)])
    }

    @Test func aBatchHoldingAConflictingRepeatStoresNoneOfItsEvents() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let batch = [EngineFixture.licence("e2"), EngineFixture.licence("e1", topic: "licence.business.revoked")]
        await #expect(throws: ExchangeError.self) { _ = try await fixture.exchange.publish(batch, from: EngineFixture.msa) }
        #expect(fixture.store.lastSequence == 1)
        #expect(try fixture.auditKinds() == ["published", "rejected"])
    }

    @Test func thePipelinedPublishRefusesAndAuditsAConflictingRepeat() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let result = await withCheckedContinuation { continuation in
            fixture.exchange.publish([EngineFixture.licence("e1", number: "L-9")], from: EngineFixture.msa) { continuation.resume(returning: $0) }
        }
        guard case .failure(let error) = result else {
            Issue.record("a repeat with other content was accepted: \(result)")
            return
        }
        #expect(error.code == .idConflict && error.originalSequence == 1 && error.isAudited)
        #expect(try fixture.auditKinds() == ["published", "rejected"])
    }
}
