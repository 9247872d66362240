public import ExchangeModel

/// Limits and defaults of the exchange engine. Every field has a documented default.
public struct EngineConfiguration: Sendable, Equatable {
    /// How large one published event and one batch may be (`limits.max_event_size`,
    /// `limits.max_batch_events`); the CloudEvents parser checks them. Default 1 MiB, 1,000.
    public var limits: PublishLimits
    /// Events one pull returns at most. Default 1,000.
    public var maxPullEvents: Int
    /// The longest a pull may wait for events, in milliseconds. Default 30,000.
    public var maxPullWaitMilliseconds: UInt64
    /// The bytes of events one delivery round hands out at most (`delivery.max_batch_bytes`):
    /// a round stops taking events once those it holds reach this (at least one event is
    /// always taken), the rest wait for the next round. It bounds what one pull's answer and
    /// one round of a subscription stream hold in memory, whatever `max` or credit asked for.
    /// Default 4 MiB.
    public var maxBatchBytes: Int
    /// Events read from the store per replay chunk. Default 512.
    public var replayChunkSize: Int
    /// How refusals of anonymous requests are aggregated in the audit log. Default: one entry
    /// per source per 60 seconds, for at most 32 sources.
    public var anonymousRefusals: AnonymousRefusals.Configuration
    /// How refusals of identified callers are bounded in the audit log
    /// (`audit.principal_refusals.*`). Default: per 60 seconds, 20 entries per principal, then
    /// one summary entry, for at most 1,000 principals.
    public var principalRefusals: AnonymousRefusals.PrincipalConfiguration
    /// What bulk reads (replays, the auditor's events and replay) may take from live traffic.
    /// Default: 2 at once, yielding up to 20 ms per chunk to live work, no byte rate.
    public var bulkReads: BulkReadBudget.Configuration
    /// How early an agreement's coming lapse is reported, and how often the daemon looks at
    /// the agreements' windows (`agreements.*`). Default: 14 days, every 60 s.
    public var agreementWatch: AgreementWatch.Configuration
    /// Subscriptions one department may hold at once
    /// (`delivery.max_subscriptions_per_department`): each keeps a position, pending and
    /// dead-letter entries and a series of `/metrics`. Default 1,000.
    public var maxSubscriptionsPerDepartment = 1000
    /// How fast one principal's answered reads may write audit entries
    /// (`audit.read_limit.*`, ``ReadRateLimit``). Default: 100 a second, bursts of 500.
    public var readLimit = ReadRateLimit.Configuration()

    /// Creates a configuration; defaults as documented on each property.
    public init(
        limits: PublishLimits = .init(), maxPullEvents: Int = 1000,
        maxPullWaitMilliseconds: UInt64 = 30_000, maxBatchBytes: Int = EngineConfiguration.defaultMaxBatchBytes, replayChunkSize: Int = 512,
        anonymousRefusals: AnonymousRefusals.Configuration = .init(), bulkReads: BulkReadBudget.Configuration = .init(),
        agreementWatch: AgreementWatch.Configuration = .init(), principalRefusals: AnonymousRefusals.PrincipalConfiguration = .init()
    ) {
        self.principalRefusals = principalRefusals
        self.agreementWatch = agreementWatch
        self.bulkReads = bulkReads
        self.anonymousRefusals = anonymousRefusals
        self.limits = limits
        self.maxPullEvents = maxPullEvents
        self.maxPullWaitMilliseconds = maxPullWaitMilliseconds
        self.maxBatchBytes = maxBatchBytes
        self.replayChunkSize = replayChunkSize
    }

    /// The default of ``maxBatchBytes``: 4 MiB.
    public static let defaultMaxBatchBytes = 4 << 20
}
