extension ConsoleConfiguration {
    /// The keys of the `console` section.
    static let keys: Set<String> = ["console.enabled", "console.session_lifetime", "console.max_sessions", "console.max_sessions_per_principal"]

    /// Reads the `console` section:
    /// - `console.enabled`: serve the web console under `/console` (default true);
    /// - `console.session_lifetime`: how long a sign-in lasts, a duration from 1m to 12h (default 30m);
    /// - `console.max_sessions`: sessions held at once, 1-100000 (default 1000);
    /// - `console.max_sessions_per_principal`: sessions one principal holds at once, 1-1000 (default 8).
    init(reader: ConfigReader) throws {
        let defaults = Self()
        let lifetime = try reader.duration("console.session_lifetime")
        if let lifetime, lifetime < .seconds(60) || lifetime > .seconds(12 * 3600) {
            throw reader.problem("console.session_lifetime", "must be from 1m to 12h")
        }
        self.init(
            enabled: try reader.bool("console.enabled") ?? defaults.enabled,
            sessionLifetime: lifetime ?? defaults.sessionLifetime,
            maxSessions: try reader.integer("console.max_sessions", in: 1...100_000) ?? defaults.maxSessions,
            maxSessionsPerPrincipal: try reader.integer("console.max_sessions_per_principal", in: 1...1000)
                ?? defaults.maxSessionsPerPrincipal)
    }
}
