import ExchangeConsole
import ExchangeIdentity
import Testing

@Suite("Console sessions")
struct ConsoleSessionsTests {
    let auditor = Principal.token(name: "auditor-1", role: .auditor)

    @Test func aSessionLastsItsLifetimeAndEndsOnSignOut() {
        let sessions = ConsoleSessions(lifetime: .seconds(60), maxCount: 10)
        let start = ContinuousClock.now
        let session = sessions.start(for: auditor, now: start)
        #expect(sessions.session(session.id, now: start + .seconds(59))?.principal == auditor)
        #expect(sessions.session(session.id, now: start + .seconds(60)) == nil)
        #expect(sessions.count == 0)
        let other = sessions.start(for: auditor, now: start)
        // Only the call that ended the session says so: a sign-out is recorded once, however
        // many are sent at once.
        #expect(sessions.end(other.id))
        #expect(!sessions.end(other.id))
        #expect(sessions.session(other.id, now: start) == nil)
        #expect(sessions.session(nil) == nil)
        #expect(sessions.session("short") == nil)
    }

    @Test func theCountIsBoundedDroppingTheSessionClosestToExpiry() {
        let sessions = ConsoleSessions(lifetime: .seconds(60), maxCount: 3)
        let start = ContinuousClock.now
        let first = sessions.start(for: auditor, now: start)
        let later = (1...3).map { sessions.start(for: auditor, now: start + .seconds($0)) }
        #expect(sessions.count == 3)
        #expect(sessions.session(first.id, now: start + .seconds(4)) == nil)
        #expect(later.allSatisfy { sessions.session($0.id, now: start + .seconds(4)) != nil })
    }

    @Test func idsAndTokensAre256RandomBits() {
        let sessions = ConsoleSessions(lifetime: .seconds(60), maxCount: 100)
        let made = (0..<50).map { _ in sessions.start(for: auditor) }
        let values = made.flatMap { [$0.id, $0.csrfToken] }
        #expect(Set(values).count == values.count)
        #expect(values.allSatisfy { $0.utf8.count == 64 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test func theCSRFTokenMustMatchExactly() {
        let session = ConsoleSessions(lifetime: .seconds(60), maxCount: 1).start(for: auditor)
        #expect(session.acceptsCSRFToken(session.csrfToken))
        #expect(!session.acceptsCSRFToken(nil))
        #expect(!session.acceptsCSRFToken(""))
        #expect(!session.acceptsCSRFToken(String(session.csrfToken.dropLast())))
        #expect(!session.acceptsCSRFToken(session.id))
        #expect(ConsoleSecrets.constantTimeEquals("abc", "abc") && !ConsoleSecrets.constantTimeEquals("abc", "abd"))
    }
}

@Suite("Console sessions per principal")
struct ConsoleSessionsPerPrincipalTests {
    let admin = Principal.token(name: "admin-1", role: .admin)
    let auditor = Principal.token(name: "auditor-1", role: .auditor)
    let department = Principal.token(name: "tax-bureau", role: .department)

    @Test func oneDepartmentsSignInsNeverEndAnAdminsSession() {
        let sessions = ConsoleSessions(lifetime: .seconds(60), maxCount: 10)
        let start = ContinuousClock.now
        let adminSession = sessions.start(for: admin, now: start)
        let auditorSession = sessions.start(for: auditor, now: start)
        let own = (1...1500).map { sessions.start(for: department, now: start + .milliseconds($0)) }
        let later = start + .seconds(2)
        #expect(sessions.session(adminSession.id, now: later)?.principal == admin)
        #expect(sessions.session(auditorSession.id, now: later)?.principal == auditor)
        // The department keeps its newest sessions, at most the per-principal cap.
        let live = own.filter { sessions.session($0.id, now: later) != nil }
        #expect(live.count == 8)
        #expect(live.map(\.id) == own.suffix(8).map(\.id))
    }

    @Test func atTheGlobalCapThePrincipalHoldingMostLosesItsOldest() {
        let sessions = ConsoleSessions(lifetime: .seconds(60), maxCount: 4, maxPerPrincipal: 3)
        let start = ContinuousClock.now
        let adminSession = sessions.start(for: admin, now: start)
        let first = sessions.start(for: department, now: start + .seconds(1))
        let second = sessions.start(for: department, now: start + .seconds(2))
        let auditorSession = sessions.start(for: auditor, now: start + .seconds(3))
        // The cap is reached: the department holds the most, so its oldest session ends.
        let another = sessions.start(for: auditor, now: start + .seconds(4))
        let now = start + .seconds(5)
        #expect(sessions.count == 4)
        #expect(sessions.session(first.id, now: now) == nil)
        for kept in [adminSession, second, auditorSession, another] { #expect(sessions.session(kept.id, now: now) != nil) }
        // The auditor's further sign-ins now end only the auditor's own oldest sessions.
        let third = sessions.start(for: auditor, now: start + .seconds(6))
        let fourth = sessions.start(for: auditor, now: start + .seconds(7))
        #expect(sessions.session(adminSession.id, now: now) != nil)
        #expect(sessions.session(second.id, now: now) != nil)
        #expect(sessions.session(auditorSession.id, now: now) == nil)
        #expect(sessions.session(another.id, now: now) == nil)
        #expect([third, fourth].allSatisfy { sessions.session($0.id, now: now) != nil })
    }
}
