public import ExchangeIdentity
import Synchronization

/// The console's sessions, in memory: each with an expiry, at most `maxPerPrincipal` for one
/// principal and `maxCount` at once. A restart ends every session. A sign-in beyond its
/// principal's bound ends that principal's oldest session; a sign-in beyond the global bound
/// first drops expired sessions, then the oldest session of the principal holding the most, so
/// that one principal's sign-ins never end another's session.
public final class ConsoleSessions: Sendable {
    private let sessions = Mutex<[String: ConsoleSession]>([:])
    /// How long a session lasts.
    public let lifetime: Duration
    /// The most sessions held at once.
    public let maxCount: Int
    /// The most sessions one principal holds at once.
    public let maxPerPrincipal: Int
    /// The default of ``maxPerPrincipal``: 8.
    public static let defaultMaxPerPrincipal = 8

    /// Creates an empty set of sessions.
    /// - Parameters:
    ///   - lifetime: how long a session lasts after sign-in.
    ///   - maxCount: the most sessions held at once (at least 1).
    ///   - maxPerPrincipal: the most sessions one principal holds at once (at least 1).
    public init(lifetime: Duration, maxCount: Int, maxPerPrincipal: Int = ConsoleSessions.defaultMaxPerPrincipal) {
        self.lifetime = lifetime
        self.maxCount = max(1, maxCount)
        self.maxPerPrincipal = max(1, maxPerPrincipal)
    }

    /// Starts a session for `principal`.
    /// - Parameters:
    ///   - principal: who signed in.
    ///   - certificateFingerprint: the SHA-256 fingerprint of the client certificate a
    ///     department signed in with, which binds the session to it; `nil` for a token sign-in.
    /// - Returns: the new session, with a fresh id and CSRF token.
    public func start(for principal: Principal, certificateFingerprint: String? = nil, now: ContinuousClock.Instant = .now) -> ConsoleSession {
        let session = ConsoleSession(
            id: ConsoleSecrets.random256(), csrfToken: ConsoleSecrets.random256(), principal: principal, expires: now + lifetime,
            certificateFingerprint: certificateFingerprint)
        let bound = maxCount
        let perPrincipal = maxPerPrincipal
        sessions.withLock { sessions in
            var own = sessions.values.filter { $0.principal == principal }
            if sessions.count >= bound || own.count >= perPrincipal {
                sessions = sessions.filter { $0.value.expires > now }
                own = own.filter { $0.expires > now }
            }
            // The principal's own oldest sessions make room first.
            own.sort { $0.expires < $1.expires }
            for oldest in own.prefix(max(0, own.count - perPrincipal + 1)) {
                sessions.removeValue(forKey: oldest.id)
            }
            // At the global bound, the principal holding the most gives up its oldest session.
            while sessions.count >= bound {
                var held: [Principal: Int] = [:]
                for session in sessions.values { held[session.principal, default: 0] += 1 }
                guard let most = held.max(by: { $0.value < $1.value })?.key,
                    let oldest = sessions.values.filter({ $0.principal == most }).min(by: { $0.expires < $1.expires })
                else { break }
                sessions.removeValue(forKey: oldest.id)
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id; an expired one is removed and `nil` returned.
    /// - Parameter id: the session cookie's value.
    public func session(_ id: String?, now: ContinuousClock.Instant = .now) -> ConsoleSession? {
        guard let id, id.utf8.count == 64 else { return nil }
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expires > now else {
                sessions.removeValue(forKey: id)
                return nil
            }
            return session
        }
    }

    /// Ends a session (sign-out); nothing happens when it does not exist.
    /// - Returns: whether this call ended it (of several calls at once, exactly one does).
    @discardableResult
    public func end(_ id: String) -> Bool {
        sessions.withLock { $0.removeValue(forKey: id) } != nil
    }

    /// Sessions held now, expired ones included until they are looked up or pushed out.
    public var count: Int { sessions.withLock { $0.count } }
}
