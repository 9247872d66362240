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

    /// A batch repeating an id with other content inside itself: refused and audited without
    /// an `original_sequence`, since neither event was stored; the id stays free.
    @Test func aConflictWithinOneBatchIsAuditedWithoutASequence() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let batch = [EngineFixture.licence("dupC"), EngineFixture.licence("dupC", number: "L-2")]
        do {
            _ = try await fixture.exchange.publish(batch, from: EngineFixture.msa)
            Issue.record("a batch repeating an id with other content was stored")
        } catch {
            #expect(error.code == .idConflict && error.originalSequence == nil && error.isAudited)
            #expect(error.message.contains("events 0 and 1 of the batch"), "\(error.message)")
        }
        let rejected = try lastAuditEntry(fixture)
        #expect(rejected["reason"] as? String == "publish.id_conflict" && rejected["message_id"] as? String == "dupC")
        #expect(rejected["original_sequence"] == nil, "\(rejected)")
        #expect(fixture.store.lastSequence == 0)
        let stored = try await fixture.exchange.publish([batch[0]], from: EngineFixture.msa)
        #expect(stored.map(\.sequence) == [1] && stored.map(\.isDuplicate) == [false])
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
