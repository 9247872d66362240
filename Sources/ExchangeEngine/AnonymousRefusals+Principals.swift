extension AnonymousRefusals {
    /// How refusals of identified callers (a department's certificate, a valid token) are
    /// bounded in the audit log (`audit.principal_refusals.*`). Every field has a documented
    /// default.
    ///
    /// In each interval, the first ``burst`` refusals of a principal are written one entry each,
    /// at once; further ones are counted and written at the interval's end as one summary entry
    /// per principal (``Key/principal(burst:)``). At most ``maxPrincipals`` principals are
    /// counted one by one; the refusals of any further principal go, uncounted by name, into one
    /// more entry (`actor: "other"`). A principal thus adds at most `burst + 1` entries per
    /// interval, whatever it sends, and memory holds at most `maxPrincipals` tallies of at most
    /// ``AnonymousRefusals/maxListed`` codes and endpoints each.
    public struct PrincipalConfiguration: Sendable, Equatable {
        /// The length of one interval, in seconds. Default 60.
        public var intervalSeconds: Int
        /// Refusals of one principal per interval written one entry each before the rest are
        /// counted. Default 20; 0 counts them all.
        public var burst: Int
        /// Principals with a tally of their own per interval. Default 1,000.
        public var maxPrincipals: Int

        /// Creates a configuration; defaults as documented on each property.
        public init(intervalSeconds: Int = 60, burst: Int = 20, maxPrincipals: Int = 1000) {
            self.intervalSeconds = intervalSeconds
            self.burst = burst
            self.maxPrincipals = maxPrincipals
        }
    }

    /// An empty aggregate of identified callers' refusals, as `configuration` asks.
    public convenience init(principals configuration: PrincipalConfiguration) {
        self.init(
            configuration: Configuration(intervalSeconds: configuration.intervalSeconds, maxSources: configuration.maxPrincipals),
            key: .principal(burst: max(0, configuration.burst)))
    }
}
