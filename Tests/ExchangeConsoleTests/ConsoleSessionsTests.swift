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
        sessions.end(other.id)
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
