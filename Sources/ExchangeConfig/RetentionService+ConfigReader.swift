import ExchangeEngine

extension RetentionService.Configuration {
    /// The keys of the `retention` section.
    static let keys: Set<String> = ["retention.interval", "retention.step_events", "retention.flush_interval", "retention.archive_directory"]

    /// Reads the `retention` section: how the background service removes the events that
    /// `topics.yaml`'s `retention` policies let expire (see ``RetentionService``):
    /// - `retention.interval`: time between rounds of removal, a duration (default 1s; 100ms to 1h);
    /// - `retention.step_events`: the most events one step removes, one writer operation that
    ///   publishes queued behind it wait for (default 500; 1-100000);
    /// - `retention.flush_interval`: the longest an expired event waits for the store to move
    ///   its index and deduplication entries out of memory, which it otherwise does after 2,048
    ///   and 65,536 more events (default 60s; 0 to 1 day);
    /// - `retention.archive_directory`: the directory the expired events of topics with
    ///   `archive: true` are written to (and synced) before they are removed: a path (relative to the
    ///   configuration file's directory), on another disk or a mounted object store (default none; a topic with `archive: true` is
    ///   then refused at start).
    init(reader: ConfigReader) throws {
        let defaults = Self()
        let interval = try reader.duration("retention.interval")
        if let interval, interval < .milliseconds(100) || interval > .seconds(3600) {
            throw reader.problem("retention.interval", "must be from 100ms to 1h")
        }
        let flush = try reader.duration("retention.flush_interval")
        if let flush, flush > .seconds(86_400) {
            throw reader.problem("retention.flush_interval", "must be from 0 to 24h")
        }
        self.init(
            interval: interval ?? defaults.interval,
            stepEvents: try reader.integer("retention.step_events", in: 1...100_000) ?? defaults.stepEvents, pause: defaults.pause,
            flushInterval: flush ?? defaults.flushInterval, archiveDirectory: try reader.path("retention.archive_directory"))
    }
}
