/// The web console the daemon serves under `/console` on its HTTPS listener (`console.*`).
public struct ConsoleConfiguration: Sendable, Hashable {
    /// Whether `/console` is served (`console.enabled`, default `true`).
    public var enabled: Bool
    /// How long a console session lasts after sign-in (`console.session_lifetime`, default 30 minutes).
    public var sessionLifetime: Duration
    /// The most console sessions held at once (`console.max_sessions`, default 1,000); a sign-in
    /// beyond it ends the session closest to expiry.
    public var maxSessions: Int
    /// The most console sessions one principal holds at once
    /// (`console.max_sessions_per_principal`, default 8); a sign-in beyond it ends that
    /// principal's oldest session.
    public var maxSessionsPerPrincipal: Int

    /// Creates the configuration.
    /// - Parameters:
    ///   - enabled: whether `/console` is served.
    ///   - sessionLifetime: how long a session lasts.
    ///   - maxSessions: the most sessions held at once.
    ///   - maxSessionsPerPrincipal: the most sessions one principal holds at once.
    public init(enabled: Bool = true, sessionLifetime: Duration = .seconds(30 * 60), maxSessions: Int = 1000, maxSessionsPerPrincipal: Int = 8) {
        self.enabled = enabled
        self.sessionLifetime = sessionLifetime
        self.maxSessions = maxSessions
        self.maxSessionsPerPrincipal = maxSessionsPerPrincipal
    }
}
