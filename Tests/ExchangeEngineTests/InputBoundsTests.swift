import ExchangeEngine
import ExchangeModel
import ExchangeRouting
import ExchangeStore
import Foundation
import Testing

/// Numbers and values from clients outside their bounds are refused by the engine itself,
/// whatever layer called it, and what it computes from stored values cannot trap.
@Suite struct InputBoundsTests {
    @Test(arguments: [
        SubscriptionSpec(filter: "licence.>", ackWaitMilliseconds: 100_000_000_000_000),
        SubscriptionSpec(filter: "licence.>", ackWaitMilliseconds: 0),
        SubscriptionSpec(filter: "licence.>", backoffMilliseconds: [100_000_000_000_000]),
        SubscriptionSpec(filter: "licence.>", backoffMilliseconds: Array(repeating: 10, count: 33)),
        SubscriptionSpec(filter: "licence.>", maxDeliver: 4_000_000_000),
        SubscriptionSpec(filter: "licence.>", maxInFlight: 0),
        SubscriptionSpec(filter: "licence.>", start: .sequence(9_223_372_036_854_775_808)),
        SubscriptionSpec(filter: "licence.>", start: .time(UInt64.max)),
    ])
    func subscriptionsOutsideTheBoundsAreRefusedAndNothingIsStored(_ spec: SubscriptionSpec) async throws {
        #expect(spec.boundsViolation != nil)
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        do {
            try await fixture.exchange.putSubscription("s", spec, owner: EngineFixture.tax)
            Issue.record("accepted \(spec)")
        } catch {
            #expect(error.code == .invalidSubscriptionLimits)
            #expect(error.kind == .invalid)
        }
        #expect(try fixture.store.subscription(named: "s") == nil)
    }

    @Test func theBoundsThemselvesAreAccepted() async throws {
        let spec = SubscriptionSpec(
            filter: "licence.>", start: .sequence(InputBounds.sequence.upperBound), ackWaitMilliseconds: InputBounds.maxDurationMilliseconds,
            backoffMilliseconds: Array(repeating: InputBounds.maxDurationMilliseconds, count: InputBounds.maxBackoffSteps),
            maxDeliver: InputBounds.maxDeliver.upperBound, maxInFlight: InputBounds.maxInFlight.upperBound)
        #expect(spec.boundsViolation == nil)
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let (info, created) = try await fixture.exchange.putSubscription("far", spec, owner: EngineFixture.tax)
        #expect(created)
        #expect(info.position == InputBounds.sequence.upperBound)
        // A pull past the end of the log finds nothing and does not trap.
        #expect(try await fixture.exchange.pull("far", owner: EngineFixture.tax, max: 10).isEmpty)
    }

    @Test(arguments: [".", "..", ".hidden", "-x", "_x", ""])
    func subscriptionNamesStartWithALetterOrDigit(_ name: String) async throws {
        #expect(!Exchange.isValidSubscriptionName(name))
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        await #expect(throws: ExchangeError.self) {
            try await fixture.exchange.putSubscription(name, SubscriptionSpec(filter: "licence.>"), owner: EngineFixture.tax)
        }
    }

    @Test func aNakWithAHugeDelayIsBoundedNotTrapped() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        try await fixture.exchange.putSubscription("s", SubscriptionSpec(filter: "licence.>", start: .all), owner: EngineFixture.tax)
        _ = try await fixture.exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        #expect(try await fixture.exchange.pull("s", owner: EngineFixture.tax, max: 10).count == 1)
        let before = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(try await fixture.exchange.nak([1], subscription: "s", owner: EngineFixture.tax, delay: .seconds(Int64.max)) == [true])
        let deadline = try #require(try fixture.store.pendingDelivery(subscription: "s", sequence: 1)?.deadline)
        #expect(deadline >= before + InputBounds.maxDurationMilliseconds * 1_000_000)
        #expect(deadline <= before + InputBounds.maxDurationMilliseconds * 1_000_000 + 60_000_000_000)
    }

    @Test(arguments: [
        ("id", String(repeating: "i", count: 257), "licence.business.issued"),
        ("subject", String(repeating: "s", count: 201), "licence.business.issued"),
        ("type", String(repeating: "t", count: 257), "licence.business.issued"),
    ])
    func overlongKeyValuesAreRefusedAndAuditedOnce(_ field: String, _ value: String, _ topic: String) async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var event = EngineFixture.licence("e1", topic: topic)
        switch field {
        case "id": event.id = value
        case "subject": event.subject = value
        default: event.type = value
        }
        do {
            _ = try await fixture.exchange.publish([event], from: EngineFixture.msa)
            Issue.record("an overlong \(field) was accepted")
        } catch {
            #expect(error.code == .fieldTooLong)
            #expect(error.isAudited)
        }
        #expect(fixture.store.lastSequence == 0)
        #expect(try fixture.auditKinds() == ["rejected"])
    }
}

@Suite struct AnonymousRefusalsTests {
    static func refusal(_ source: String, path: String = "/v1/replay") -> RequestRefusal {
        RequestRefusal(actor: nil, role: nil, source: source, method: "GET", path: path, status: 401, code: "auth.unauthenticated", detail: nil)
    }

    @Test func manySourcesAndRefusalsBecomeAtMostMaxSourcesPlusOneEntries() {
        let refusals = AnonymousRefusals(configuration: .init(intervalSeconds: 60, maxSources: 4))
        for index in 0..<1000 {
            refusals.record(Self.refusal("192.0.2.\(index % 100)", path: "/" + String(repeating: "p", count: 60_000)), at: UInt64(index))
        }
        #expect(refusals.pendingCount == 1000)
        let events = refusals.drain()
        #expect(events.count == 5)
        #expect(events.allSatisfy { $0.kind == .accessDenied && $0.actor == "anonymous" })
        let counts = events.compactMap { event -> Int64? in
            if case .integer(let count) = event.fields["count"] { return count }
            return nil
        }
        #expect(counts == [10, 10, 10, 10, 960])
        #expect(events.last?.fields["sources"] == .integer(96))
        for event in events.prefix(4) {
            guard case .string(let path) = event.fields["path"] else {
                Issue.record("no path")
                continue
            }
            #expect(path.utf8.count <= AuditEvent.maxClientTextBytes)
        }
        #expect(refusals.drain().isEmpty)
        #expect(refusals.pendingCount == 0)
    }

    @Test func anonymousRefusalsAreWrittenOnlyWhenFlushed() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        for _ in 0..<50 { await fixture.exchange.recordRefusal(Self.refusal("198.51.100.7")) }
        #expect(fixture.store.auditCount == 0)
        #expect(await fixture.exchange.flushAnonymousRefusals() == 1)
        #expect(try fixture.auditKinds() == ["access_denied"])
        // A refusal that names an identity is written at once, once.
        var named = Self.refusal("198.51.100.7")
        named.actor = "tax"
        named.status = 404
        await fixture.exchange.recordRefusal(named)
        #expect(try fixture.auditKinds() == ["access_denied", "rejected"])
    }
}

@Suite struct UnknownTopicTests {
    @Test func aSubscriptionToNoDeclaredTopicSaysSoAndSuggestsTheNearest() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        do {
            try await fixture.exchange.putSubscription("s", SubscriptionSpec(filter: "licence.busines.>"), owner: EngineFixture.tax)
            Issue.record("a filter matching no topic was accepted")
        } catch {
            #expect(error.code == .unknownTopic)
            #expect(error.kind == .notFound)
            #expect(error.message.contains("did you mean 'licence.business.>'?"), "\(error.message)")
        }
        #expect(fixture.exchange.unknownTopicMessage(TopicPattern("licence.business.>")!) == nil)
        // A declared topic names something, with or without events.
        #expect(fixture.exchange.unknownTopicMessage(TopicPattern("case.outcome.closed")!) == nil)
        #expect(fixture.exchange.unknownTopicMessage(TopicPattern("weather.>")!) == "no declared topic matches 'weather.>'")
    }
}
