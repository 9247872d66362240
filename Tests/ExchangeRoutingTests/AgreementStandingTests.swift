import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// Where an agreement stands as time passes its window.
@Suite struct AgreementStandingTests {
    static let from = Date(timeIntervalSince1970: 1_000_000)
    static let until = Date(timeIntervalSince1970: 2_000_000)

    static func agreement(status: Agreement.Status = .active, until: Date? = Self.until) -> Agreement {
        Agreement(
            id: "a", provider: DepartmentID("msa")!, consumers: [DepartmentID("tax")!], topics: [TopicPattern("x.>")!],
            validFrom: from, validUntil: until, status: status)
    }

    @Test func standingFollowsTheWindowAndTheStatus() {
        let active = Self.agreement()
        #expect(active.standing(at: Self.from.addingTimeInterval(-1)) == .pending)
        #expect(active.standing(at: Self.from) == .inForce)
        #expect(active.standing(at: Self.until.addingTimeInterval(-0.001)) == .inForce)
        #expect(active.standing(at: Self.until) == .lapsed)
        #expect(Self.agreement(until: nil).standing(at: .distantFuture) == .inForce)
        #expect(Self.agreement(status: .suspended).standing(at: Self.from) == .suspended)
        #expect(Self.agreement(status: .revoked).standing(at: Self.until) == .revoked)
        // Standing in force is exactly what routing calls in force.
        for offset in [-1.0, 0, 500_000, 999_999.999, 1_000_000, 3_000_000] {
            let now = Self.from.addingTimeInterval(offset)
            #expect((active.standing(at: now) == .inForce) == active.isInForce(at: now))
        }
    }

    @Test func nextBoundaryIsTheNextChangeByTime() {
        let active = Self.agreement()
        #expect(active.nextBoundary(after: Self.from.addingTimeInterval(-5)) == Self.from)
        #expect(active.nextBoundary(after: Self.from) == Self.until)
        #expect(active.nextBoundary(after: Self.until) == nil)
        #expect(Self.agreement(until: nil).nextBoundary(after: Self.from) == nil)
        #expect(Self.agreement(status: .suspended).nextBoundary(after: Self.from) == nil)
    }
}
