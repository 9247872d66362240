import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

@Suite struct PublishTests {
    @Test func publishRoutesThroughAgreementsAndStoresDurably() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let outcomes = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        #expect(outcomes == [PublishOutcome(id: "e1", sequence: 1, isDuplicate: false, routeCount: 2)])
        #expect(try fixture.store.inboxEntries(consumer: "tax").map(\.entry.agreement) == ["msa-tax"])
        #expect(try fixture.store.inboxEntries(consumer: "portal").map(\.entry.agreement) == ["msa-portal"])
        #expect(try fixture.store.inboxEntries(consumer: "court").isEmpty)
        let revoked = try await fixture.exchange.publish([EngineFixture.licence("e2", topic: "licence.business.revoked")], from: EngineFixture.msa)
        #expect(revoked.first?.routeCount == 1)
    }

    @Test func sourceIsTheAuthenticatedPublisherNotTheClientsValue() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var event = EngineFixture.licence("e1")
        event.source = "somebody-else"
        _ = try await fixture.exchange.publish([event], from: EngineFixture.msa)
        #expect(try fixture.store.event(1)?.envelope.source == "msa")
    }

    @Test func publishingToAnotherDepartmentsTopicIsRefusedAuditedAndStoresNothing() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var event = EngineFixture.licence("e1")
        event.source = "tax"
        do {
            _ = try await fixture.exchange.publish([event], from: EngineFixture.tax)
            Issue.record("a department published to a topic it does not own")
        } catch {
            #expect(error.code == .notTopicOwner)
            #expect(error.kind == .forbidden)
        }
        #expect(fixture.store.lastSequence == 0)
        #expect(try fixture.auditKinds() == ["rejected"])
    }

    @Test func anUnknownTopicIsRefusedAndAudited() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        do {
            _ = try await fixture.exchange.publish([EngineFixture.licence("x", topic: "licence.unknown.issued")], from: EngineFixture.msa)
            Issue.record("an event of an undeclared topic was accepted")
        } catch {
            #expect(error.code == .unknownTopic)
            #expect(error.kind == .notFound)
            #expect(error.isAudited)
        }
        #expect(fixture.store.lastSequence == 0)
        #expect(try fixture.auditKinds() == ["rejected"])
    }

    @Test func aBatchWithOneBadEventStoresNothing() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let batch = [EngineFixture.licence("a"), EngineFixture.licence("b", topic: "case.outcome.closed"), EngineFixture.licence("c")]
        await #expect(throws: ExchangeError.self) { _ = try await fixture.exchange.publish(batch, from: EngineFixture.msa) }
        #expect(fixture.store.lastSequence == 0)
        let good = try await fixture.exchange.publish([EngineFixture.licence("a"), EngineFixture.licence("c")], from: EngineFixture.msa)
        #expect(good.map(\.sequence) == [1, 2])
    }

    @Test func republishingIsADuplicate() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let again = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        #expect(again == [PublishOutcome(id: "e1", sequence: 1, isDuplicate: true, routeCount: 2)])
    }
}

@Suite struct SchemaTests {
    @Test func dataBreakingTheTopicSchemaIsRefusedWithThePlace() async throws {
        let directory = NSTemporaryDirectory() + "exchange-engine-schema-" + UUID().uuidString
        let fixture = try EngineFixture(directory: directory)
        defer { fixture.remove() }
        let schema = try JSONValue.parse(
            #"{"type":"object","required":["licence_no","holder"],"properties":{"licence_no":{"type":"string","pattern":"^L-[0-9]+$"},"holder":{"type":"object","properties":{"name":{"type":"string","minLength":1}}},"capital":{"type":"integer","minimum":0}}}"#)
        var set = try EngineFixture.set(EngineFixture.defaultAgreements())
        var topics = set.topics
        let issued = try #require(topics.firstIndex { $0.name.description == "licence.business.issued" })
        topics[issued].schema = schema
        set = try AgreementSet(departments: set.departments, topics: topics, agreements: set.agreements)
        _ = fixture.registry.replace(with: set)
        #expect(fixture.registry.current.topic("licence.business.issued")?.validator != nil)
        #expect(fixture.registry.current.topic("licence.business.issued")?.schema != nil)

        _ = try await fixture.exchange.publish([EngineFixture.licence("ok")], from: EngineFixture.msa)
        var broken = EngineFixture.licence("bad")
        broken.data = Array(#"{"licence_no":"L-2","holder":{"name":""}}"#.utf8)
        do {
            _ = try await fixture.exchange.publish([broken], from: EngineFixture.msa)
            Issue.record("data breaking the schema was accepted")
        } catch {
            #expect(error.code == .schemaViolation)
            #expect(error.message.contains("/holder/name"))
        }
        broken.data = Array("not json".utf8)
        await #expect(throws: ExchangeError.self) { _ = try await fixture.exchange.publish([broken], from: EngineFixture.msa) }
        #expect(fixture.store.lastSequence == 1)
    }
}

/// The completion-based publish used by pipelined WebSocket publishers.
@Suite struct PipelinedPublishTests {
    /// Waits for a completion-based publish.
    private static func publish(_ fixture: EngineFixture, _ event: Envelope) async -> Result<PublishOutcome, ExchangeError> {
        await withCheckedContinuation { continuation in
            fixture.exchange.publish([event], from: EngineFixture.msa) { result in continuation.resume(returning: result.map { $0[0] }) }
        }
    }

    @Test func completionComesAfterTheCommitThatStoresTheEvent() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let store = fixture.store
        // Read inside the completion: the event must already be committed and readable.
        let seen = await withCheckedContinuation { (continuation: CheckedContinuation<(PublishOutcome?, String?), Never>) in
            fixture.exchange.publish([EngineFixture.licence("p1")], from: EngineFixture.msa) { result in
                let outcome = try? result.get()[0]
                let stored = outcome.flatMap { try? store.event($0.sequence)?.envelope.id }
                continuation.resume(returning: (outcome, stored))
            }
        }
        #expect(seen.0 == PublishOutcome(id: "p1", sequence: 1, isDuplicate: false, routeCount: 2))
        #expect(seen.1 == "p1")
        #expect(try fixture.auditKinds() == ["published"])
    }

    @Test func manyInFlightAreEachAnsweredOnceAndDuplicatesAreRecognised() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let results = await withTaskGroup(of: Result<PublishOutcome, ExchangeError>.self) { group in
            for index in 0..<300 {
                group.addTask { await Self.publish(fixture, EngineFixture.licence("m\(index % 200)")) }
            }
            var all: [Result<PublishOutcome, ExchangeError>] = []
            for await result in group { all.append(result) }
            return all
        }
        let outcomes = results.compactMap { try? $0.get() }
        #expect(outcomes.count == 300)
        #expect(outcomes.filter { !$0.isDuplicate }.count == 200)
        #expect(Set(outcomes.map(\.sequence)) == Set(1...200))
        #expect(fixture.store.lastSequence == 200)
    }

    @Test func aBatchIsStoredWhole() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let batch = [EngineFixture.licence("b1"), EngineFixture.licence("b2"), EngineFixture.licence("b3")]
        let result = await withCheckedContinuation { continuation in
            fixture.exchange.publish(batch, from: EngineFixture.msa) { continuation.resume(returning: $0) }
        }
        #expect((try? result.get())?.map(\.sequence) == [1, 2, 3])
        // One bad event refuses the whole batch: nothing of it is stored.
        let mixed = [EngineFixture.licence("c1"), EngineFixture.licence("c2", topic: "licence.unknown.issued")]
        let refused = await withCheckedContinuation { continuation in
            fixture.exchange.publish(mixed, from: EngineFixture.msa) { continuation.resume(returning: $0) }
        }
        #expect((try? refused.get()) == nil)
        #expect(fixture.store.lastSequence == 3)
    }

    @Test func aRefusalIsAuditedBeforeItsCompletionAndStoresNothing() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let result = await Self.publish(fixture, EngineFixture.licence("x", topic: "licence.unknown.issued"))
        guard case .failure(let error) = result else {
            Issue.record("an event on an unknown topic was accepted")
            return
        }
        #expect(error.kind == .notFound)
        #expect(fixture.store.lastSequence == 0)
        #expect(try fixture.auditKinds() == ["rejected"])
    }
}
