import ExchangeEngine
import ExchangeModel
import ExchangeStore
import Foundation
import Testing

/// No principal grows the audit log at its request rate by reading (`audit.read_limit`): each
/// has a bucket of `burst` reads refilled at `per_second`; a read past it is refused before it
/// reads or writes anything, with the wait until the next one, and other principals are not
/// affected.
@Suite struct ReadRateLimitTests {
    static let second: UInt64 = 1_000_000_000

    @Test func aBurstIsAdmittedThenReadsFollowTheRate() {
        let limit = ReadRateLimit(configuration: .init(perSecond: 4, burst: 3))
        let start: UInt64 = 7 * Self.second
        // The burst at once, then a refusal that says a quarter of a second.
        for _ in 0..<3 { #expect(limit.take("tax", now: start) == nil) }
        let wait = limit.take("tax", now: start)
        #expect(wait == .milliseconds(250))
        // Refused reads are not counted: a tenth of a second later the wait is shorter.
        #expect(limit.take("tax", now: start + Self.second / 10) == .milliseconds(150))
        // After a quarter of a second, one read; then none again.
        #expect(limit.take("tax", now: start + Self.second / 4) == nil)
        #expect(limit.take("tax", now: start + Self.second / 4) != nil)
        // Another principal has its own bucket.
        #expect(limit.take("portal", now: start) == nil)
        // A long quiet spell refills up to the burst, not beyond.
        let later = start + 3600 * Self.second
        for _ in 0..<3 { #expect(limit.take("tax", now: later) == nil) }
        #expect(limit.take("tax", now: later) != nil)
    }

    @Test func zeroSetsNoLimitAndAClockThatGoesBackGrantsNothing() {
        let none = ReadRateLimit(configuration: .init(perSecond: 0, burst: 1))
        for _ in 0..<10_000 { #expect(none.take("tax", now: 0) == nil) }
        #expect(none.principalCount == 0)
        let limit = ReadRateLimit(configuration: .init(perSecond: 1, burst: 1))
        #expect(limit.take("tax", now: 100 * Self.second) == nil)
        #expect(limit.take("tax", now: 50 * Self.second) != nil)
        #expect(limit.take("tax", now: 100 * Self.second) != nil)
        #expect(limit.take("tax", now: 101 * Self.second) == nil)
    }

    @Test func refilledBucketsAreDroppedOnceManyPrincipalsAreHeld() {
        let limit = ReadRateLimit(configuration: .init(perSecond: 10, burst: 2))
        for index in 0..<ReadRateLimit.maximumPrincipals {
            #expect(limit.take("p\(index)", now: 0) == nil)
        }
        // One more, a second later, when every bucket has refilled: the held ones go.
        #expect(limit.take("late", now: Self.second) == nil)
        #expect(limit.principalCount == 1)
        // A bucket still spent is kept: its principal gets no fresh burst by crowding.
        #expect(limit.take("late", now: Self.second) == nil)
        #expect(limit.take("late", now: Self.second) != nil)
    }

    static func exchange(_ fixture: EngineFixture) -> Exchange {
        var configuration = EngineConfiguration()
        configuration.readLimit = .init(perSecond: 1, burst: 3)
        return Exchange(store: fixture.store, agreements: fixture.registry, configuration: configuration)
    }

    @Test func readsPastTheBudgetAreRefusedBeforeAnythingIsWritten() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture)
        let before = fixture.store.auditCount
        var refused: [ExchangeError] = []
        let began = ContinuousClock.now
        for index in 0..<10 {
            do {
                if index % 2 == 0 {
                    try await exchange.auditRead(actor: "auditor-1", endpoint: "/v1/audit/entries", query: "start=0")
                } else {
                    _ = try await exchange.beginReplay(ReplayQuery(), scope: .department(EngineFixture.tax), actor: "auditor-1")
                }
            } catch {
                refused.append(try #require(error as? ExchangeError))
            }
        }
        // The burst of three answered, and at most one more per second since; each answered
        // read wrote its entry, the refused ones none.
        let refills = Int((ContinuousClock.now - began).components.seconds) + 1
        #expect(refused.count <= 7 && refused.count >= 7 - refills, "\(refused)")
        #expect(fixture.store.auditCount == before + UInt64(10 - refused.count))
        for error in refused {
            #expect(error.code == .readsLimited)
            #expect(error.code.rawValue == "reads.rate_limited")
            #expect(error.kind == .unavailable)
            #expect(!error.isAudited)
            let wait = try #require(error.retryAfter)
            #expect(wait > .zero && wait <= .seconds(1))
            #expect(error.message.contains("audit.read_limit"))
        }
        // Another principal reads on.
        try await exchange.auditRead(actor: "auditor-2", endpoint: "/v1/audit/entries", query: "")
        #expect(fixture.store.auditCount == before + UInt64(11 - refused.count))
    }

    @Test func aRegistryQueryPastTheBudgetIsRefusedBeforeItRuns() async throws {
        var configuration = EngineConfiguration()
        configuration.readLimit = .init(perSecond: 1, burst: 2)
        let fixture = try EngineFixture(agreements: [], configuration: configuration).replacing(set: try RegistryEngineTests.set())
        defer { fixture.remove() }
        _ = try await fixture.exchange.publish([RegistryEngineTests.licence("a", "L-1")], from: EngineFixture.msa)
        let before = fixture.store.auditCount
        var codes: [String] = []
        let began = ContinuousClock.now
        for _ in 0..<6 {
            do {
                _ = try await fixture.exchange.registryLookup(collection: "licences", key: "L-1", viewer: .department(EngineFixture.tax), actor: "tax")
                codes.append("ok")
            } catch {
                codes.append(error.code.rawValue)
            }
        }
        let answered = codes.filter { $0 == "ok" }.count
        let refills = Int((ContinuousClock.now - began).components.seconds) + 1
        #expect(answered >= 2 && answered <= 2 + refills, "\(codes)")
        #expect(Array(codes.prefix(2)) == ["ok", "ok"])
        #expect(codes.dropFirst(answered).allSatisfy { $0 == "reads.rate_limited" }, "\(codes)")
        // Only answered queries are in the log.
        #expect(try RegistryEngineTests.queries(fixture).count == answered)
        #expect(fixture.store.auditCount == before + UInt64(answered))
    }

    @Test func refusalsForTheBudgetAreCountedPerPrincipalNotWrittenEach() async throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let exchange = Self.exchange(fixture)
        let before = fixture.store.auditCount
        for _ in 0..<200 {
            await exchange.recordRefusal(
                RequestRefusal(
                    actor: "tax", role: "department", source: "192.0.2.7", method: "GET", path: "/v1/replay", status: 429, code: "reads.rate_limited",
                    detail: "too fast"))
        }
        #expect(fixture.store.auditCount == before)
        #expect(await exchange.flushAnonymousRefusals() == 1)
        let entry = try JSONValue.parse(try #require(exchange.auditEntries(from: before, limit: 10).last).entry)
        #expect(entry["actor"]?.stringValue == "tax")
        #expect(PrincipalRefusalsTests.integer(entry["count"]) == 200)
    }
}

extension ReadRateLimitTests {
    /// The wait a refusal asks is bounded (a day), whatever the rate: no conversion can trap.
    @Test func theWaitOfAVeryLowRateIsBounded() {
        for rate in [1e-11, 1e-300, Double.leastNonzeroMagnitude] {
            let limit = ReadRateLimit(configuration: .init(perSecond: rate, burst: 1))
            #expect(limit.take("tax", now: 0) == nil)
            #expect(limit.take("tax", now: 0) == .seconds(86_400))
        }
    }
}
