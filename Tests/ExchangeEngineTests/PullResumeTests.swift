@testable import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// A subscription stream pulls again after every round; when the round took everything and
/// nothing came since, the next pull waits at once instead of running a round that would find
/// nothing, and still delivers what comes, what comes due, and what came in between.
@Suite struct PullResumeTests {
    static let name = "tax-stream"

    static func fixture(ackWait: UInt64 = 60_000) async throws -> EngineFixture {
        let fixture = try EngineFixture()
        try await fixture.exchange.putSubscription(
            name, SubscriptionSpec(filter: "licence.>", start: .all, ackWaitMilliseconds: ackWait), owner: EngineFixture.tax)
        return fixture
    }

    @Test(.timeLimit(.minutes(1)))
    func theNextPullWaitsWithoutARoundAndDeliversWhatComes() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let first = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(5))
        #expect(first.events.map(\.sequence) == [1])
        var resume = try #require(first.resume, "a round that reached the inbox's end resumes")

        // Nothing comes: the pull waits its time out without a first round, and runs one round
        // once its time is out (without the resume: a round, the wait, a round). (The publish's wake-up may
        // reach the signal after the first round began, which makes that resume stale: the
        // pull then runs a round, finds nothing and resumes afresh.)
        var skipped = false
        for _ in 0..<5 where !skipped {
            let before = exchange.roundTally.values
            let quiet = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .milliseconds(300), resume: resume)
            #expect(quiet.events.isEmpty)
            let after = exchange.roundTally.values
            if after.skipped == before.skipped + 1 {
                #expect(after.run == before.run + 1, "the skipped pull ran \(after.run - before.run) rounds")
                skipped = true
            } else {
                resume = try #require(quiet.resume)
            }
        }
        #expect(skipped, "no pull started by waiting")

        // An event published while it waits wakes it and is delivered.
        async let waiting = exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(20), resume: resume)
        try await Task.sleep(for: .milliseconds(200))
        _ = try await exchange.publish([EngineFixture.licence("e2", number: "L-2")], from: EngineFixture.msa)
        let woken = try await waiting
        #expect(woken.events.map(\.sequence) == [2])
    }

    @Test(.timeLimit(.minutes(1)))
    func aCommitOrASettlementSinceTheRoundRunsOneAtOnce() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let first = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(5))
        let resume = try #require(first.resume)
        // Published between the pulls: the stale resume does not hold it back.
        _ = try await exchange.publish([EngineFixture.licence("e2", number: "L-2")], from: EngineFixture.msa)
        let started = ContinuousClock.now
        let next = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(20), resume: resume)
        #expect(next.events.map(\.sequence) == [2])
        #expect(ContinuousClock.now - started < .seconds(10))

        // A nak (a settlement) after the round makes the event due again at once.
        let resumeAfter = try #require(next.resume)
        _ = try await exchange.nak([2], subscription: Self.name, owner: EngineFixture.tax)
        let redelivered = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(20), resume: resumeAfter)
        #expect(redelivered.events.map(\.sequence) == [2])
        #expect(redelivered.events.first?.deliveryCount == 2)
    }

    @Test(.timeLimit(.minutes(1)))
    func aRedeliveryComingDueEndsTheWait() async throws {
        // An ack wait of 1 s: the delivered event comes due while the next pull waits.
        let fixture = try await Self.fixture(ackWait: 1_000)
        defer { fixture.remove() }
        let exchange = fixture.exchange
        _ = try await exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let first = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(5))
        let resume = try #require(first.resume)
        let started = ContinuousClock.now
        let again = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(30), resume: resume)
        #expect(again.events.map(\.sequence) == [1])
        #expect(again.events.first?.deliveryCount == 2)
        #expect(ContinuousClock.now - started < .seconds(20), "it waited for the pull's time out, not the redelivery")
    }

    @Test(.timeLimit(.minutes(1)))
    func aDeliveryDueAtOnceIsNotWaitedFor() async throws {
        // A first backoff step of 0: the event is due again as soon as it is delivered.
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        try await exchange.putSubscription(
            Self.name, SubscriptionSpec(filter: "licence.>", start: .all, backoffMilliseconds: [0, 60_000]), owner: EngineFixture.tax)
        _ = try await exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        let first = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(5))
        #expect(first.events.map(\.sequence) == [1])
        #expect(first.resume == nil, "a round that left its own delivery due resumed")
        let started = ContinuousClock.now
        let again = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(20), resume: first.resume)
        #expect(again.events.first?.deliveryCount == 2)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test(.timeLimit(.minutes(1)))
    func aResumeOfADroppedGateIsNotTakenForTheNewOne() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let exchange = fixture.exchange
        // Another department's pull of the name (not its subscription) drops the gate when
        // nothing else uses it; the next pull makes a new one, whose generations count from 0.
        @Sendable func dropGate() async {
            await #expect(throws: ExchangeError.self) {
                _ = try await exchange.pull(Self.name, owner: EngineFixture.portal, max: 1)
            }
        }
        _ = try await exchange.publish([EngineFixture.licence("e1")], from: EngineFixture.msa)
        await dropGate()
        let first = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(5))
        let resume = try #require(first.resume)
        // A nak moves the gate's settlements past the resume's; the gate is dropped again, and
        // the new one's settlements stand where the resume's did.
        #expect(try await exchange.nak([1], subscription: Self.name, owner: EngineFixture.tax) == [true])
        await dropGate()
        let started = ContinuousClock.now
        let again = try await exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 10, wait: .seconds(20), resume: resume)
        #expect(again.events.first?.deliveryCount == 2)
        #expect(ContinuousClock.now - started < .seconds(10), "the nak'd event waited for the pull's time out")
    }

    @Test func aRoundLimitedByItsCountDoesNotResume() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish((0..<3).map { EngineFixture.licence("e\($0)", number: "L-\($0)") }, from: EngineFixture.msa)
        let partial = try await fixture.exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 2)
        #expect(partial.events.count == 2)
        #expect(partial.resume == nil)
        let rest = try await fixture.exchange.pullReportingGaps(Self.name, owner: EngineFixture.tax, max: 2)
        #expect(rest.events.map(\.sequence) == [3])
    }
}
