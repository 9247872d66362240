public import ExchangeIdentity
import Synchronization

/// The console's sessions, in memory: each with an expiry, at most `maxCount` at once. A
/// restart ends every session. A sign-in beyond the bound first drops expired sessions, then
/// the one closest to expiry.
public final class ConsoleSessions: Sendable {
    private let sessions = Mutex<[String: ConsoleSession]>([:])
    /// How long a session lasts.
    public let lifetime: Duration
    /// The most sessions held at once.
    public let maxCount: Int

    /// Creates an empty set of sessions.
    /// - Parameters:
    ///   - lifetime: how long a session lasts after sign-in.
    ///   - maxCount: the most sessions held at once (at least 1).
    public init(lifetime: Duration, maxCount: Int) {
        self.lifetime = lifetime
        self.maxCount = max(1, maxCount)
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
        sessions.withLock { sessions in
            if sessions.count >= bound {
                sessions = sessions.filter { $0.value.expires > now }
            }
            while sessions.count >= bound, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions.removeValue(forKey: oldest.key)
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
    public func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Sessions held now, expired ones included until they are looked up or pushed out.
    public var count: Int { sessions.withLock { $0.count } }
}
