/// The web console the daemon serves under `/console` on its HTTPS listener (`console.*`).
public struct ConsoleConfiguration: Sendable, Hashable {
    /// Whether `/console` is served (`console.enabled`, default `true`).
    public var enabled: Bool
    /// How long a console session lasts after sign-in (`console.session_lifetime`, default 30 minutes).
    public var sessionLifetime: Duration
    /// The most console sessions held at once (`console.max_sessions`, default 1,000); a sign-in
    /// beyond it ends the session closest to expiry.
    public var maxSessions: Int

    /// Creates the configuration.
    /// - Parameters:
    ///   - enabled: whether `/console` is served.
    ///   - sessionLifetime: how long a session lasts.
    ///   - maxSessions: the most sessions held at once.
    public init(enabled: Bool = true, sessionLifetime: Duration = .seconds(30 * 60), maxSessions: Int = 1000) {
        self.enabled = enabled
        self.sessionLifetime = sessionLifetime
        self.maxSessions = maxSessions
    }
}
