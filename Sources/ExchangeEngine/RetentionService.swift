public import Logging
import ExchangeStore

/// Removes expired events in the background: every ``Configuration/interval`` it asks the
/// exchange for steps of at most ``Configuration/stepEvents`` events, one after another with a
/// pause between them, until no topic has more expired events. Each step is one writer
/// operation queued behind publishes, so live traffic waits for at most one step.
///
/// ```swift
/// let retention = RetentionService(exchange: exchange, configuration: .init(), logger: logger)
/// await retention.run() // until the task is cancelled
/// ```
public struct RetentionService: Sendable {
    /// How often and in what steps expired events are removed.
    public struct Configuration: Sendable, Equatable {
        /// Time between rounds of removal. Default 1 second.
        public var interval: Duration
        /// The most events one step removes (one writer operation). Default 500.
        public var stepEvents: Int
        /// The pause between two steps of one round, which lets queued writes through.
        /// Default 5 milliseconds.
        public var pause: Duration
        /// The longest an expired event waits for the store to move its index entries and its
        /// deduplication entry out of memory, which it otherwise does only after 2,048 and
        /// 65,536 more events: after this long, a step moves them. Default 60 seconds.
        public var flushInterval: Duration
        /// The directory expired events of topics with `archive: true` are written to before
        /// they are removed (`retention.archive_directory`); `nil` (the default) archives
        /// nothing, and then such a topic is refused at start.
        public var archiveDirectory: String?

        /// Creates a configuration.
        /// - Parameters:
        ///   - interval: time between rounds (default 1 s).
        ///   - stepEvents: events per step, 1 to 100,000 (default 500).
        ///   - pause: the pause between steps (default 5 ms).
        ///   - flushInterval: how long expired events wait for the store's memory (default 60 s).
        ///   - archiveDirectory: where archiving topics' events are written (default none).
        public init(
            interval: Duration = .seconds(1), stepEvents: Int = 500, pause: Duration = .milliseconds(5), flushInterval: Duration = .seconds(60),
            archiveDirectory: String? = nil
        ) {
            self.interval = interval
            self.stepEvents = min(max(stepEvents, 1), 100_000)
            self.pause = pause
            self.flushInterval = max(.zero, flushInterval)
            self.archiveDirectory = archiveDirectory
        }
    }

    /// The exchange whose store is trimmed.
    public let exchange: Exchange
    /// When and in what steps.
    public let configuration: Configuration
    /// Where archiving topics' events are written before removal, if anywhere.
    public let archiver: (any EventArchiver)?
    private let logger: Logger

    /// Creates the service.
    public init(exchange: Exchange, configuration: Configuration, archiver: (any EventArchiver)? = nil, logger: Logger) {
        self.exchange = exchange
        self.configuration = configuration
        self.archiver = archiver
        self.logger = logger
    }

    /// Runs rounds until the task is cancelled. A failed step is logged (error) and retried in
    /// the next round.
    public func run() async {
        let clock = ContinuousClock()
        var waitingSince: ContinuousClock.Instant?
        var unarchived: Set<String> = []
        while !Task.isCancelled {
            var removed = 0
            if archiver == nil {
                // A reload gave a topic `archive: true` without a directory: its events stay.
                for rule in exchange.retentionRules where rule.archive && unarchived.insert(rule.topic).inserted {
                    logger.error(
                        "topic archives but retention.archive_directory is not set: its expired events stay until it is set and the daemon restarted",
                        metadata: ["topic": "\(rule.topic)"])
                }
            }
            do {
                while !Task.isCancelled {
                    let flushing = waitingSince.map { clock.now - $0 >= configuration.flushInterval } ?? false
                    let report = try await exchange.expire(budget: configuration.stepEvents, flushing: flushing, archiver: archiver)
                    removed += report.removed
                    if !report.waiting || flushing {
                        waitingSince = nil
                    } else if waitingSince == nil {
                        waitingSince = clock.now
                    }
                    guard report.more else { break }
                    try await Task.sleep(for: configuration.pause)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("retention step failed", metadata: ["error": "\(error)"])
            }
            if removed > 0 { logger.debug("retention removed events", metadata: ["events": "\(removed)"]) }
            do { try await Task.sleep(for: configuration.interval) } catch { return }
        }
    }
}
