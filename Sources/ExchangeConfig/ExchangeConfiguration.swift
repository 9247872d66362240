public import ExchangeEngine
public import ExchangeStore
public import Logging
import ExchangeModel
import Foundation

/// The whole configuration file of the exchange (Config/exchange.yaml): store, server, limits, log.
///
/// `exchanged --config PATH` and `exchangectl config check PATH` both call ``load(path:)``, so
/// they accept and refuse exactly the same files.
///
/// ```swift
/// let configuration = try ExchangeConfiguration.load(path: "Config/exchange.yaml")
/// ```
public struct ExchangeConfiguration: Sendable {
    /// The LMDB store (`store.*`).
    public var store: StoreConfiguration
    /// The HTTPS listener (`server.*`, `limits.*`).
    public var server: ServerConfiguration
    /// The lowest log level written (`log.level`, default `info`).
    public var logLevel: Logger.Level
    /// Signed checkpoints of the audit log (`audit.*`; `audit.hash` is ``StoreConfiguration/auditHash``).
    public var audit: AuditConfiguration
    /// How log lines are written (`log.format`, default ``LogFormat/text``).
    public var logFormat: LogFormat = .text
    /// What replays and the auditor's bulk reads may take from live traffic (`bulk_reads.*`).
    public var bulkReads: BulkReadBudget.Configuration
    /// How expired events are removed (`retention.*`); the policies are in `topics.yaml`.
    public var retention: RetentionService.Configuration = .init()
    /// The web console under `/console` (`console.*`).
    public var console: ConsoleConfiguration = .init()
    /// When agreements coming into force, lapsing and about to lapse are reported (`agreements.*`).
    public var agreementWatch: AgreementWatch.Configuration
    /// What one delivery round of a subscription may hold (`delivery.*`).
    public var delivery: DeliveryConfiguration = .init()

    /// Creates a configuration.
    public init(
        store: StoreConfiguration, server: ServerConfiguration, logLevel: Logger.Level = .info, audit: AuditConfiguration = .init(),
        bulkReads: BulkReadBudget.Configuration = .init(), agreementWatch: AgreementWatch.Configuration = .init()
    ) {
        self.agreementWatch = agreementWatch
        self.store = store
        self.server = server
        self.logLevel = logLevel
        self.audit = audit
        self.bulkReads = bulkReads
    }

    /// Reads and validates the file at `path`.
    ///
    /// Keys: see `StoreConfiguration` below, ``ServerConfiguration`` (`server.*`, `limits.*`) and
    /// `log.level`. Unknown keys are refused, so a misspelt key does not silently fall back to
    /// its default.
    /// - Parameter path: the YAML file; relative paths inside it resolve against its directory.
    /// - Throws: ``ConfigKeyError`` naming the file, the key and what is wrong.
    public static func load(path: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration(reader: ConfigReader.open(path: path))
    }

    /// Validates YAML text as if it were the file at `path`.
    /// - Parameters:
    ///   - text: the YAML document.
    ///   - path: the file name used in errors and to resolve relative paths.
    public static func parse(yaml text: String, path: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration(reader: ConfigReader.parse(text: text, path: path))
    }

    static let storeKeys: Set<String> = [
        "store.directory", "store.initial_map_size", "store.max_map_size",
        "store.max_batch_operations", "store.max_readers", "store.index_merge_threshold",
        "store.publish_reserve", "store.watermark", "store.watermark_block", "store.bookkeeping_linger",
        "store.dedup_horizon",
    ]

    /// Reads the file's keys:
    /// - `store.directory` (default `data`), `store.initial_map_size` (default `1GiB`),
    ///   `store.max_map_size` (default `64GiB`, at least the initial size),
    ///   `store.max_batch_operations` (1-1000000, default 4096), `store.max_readers` (8-100000, default 256),
    ///   `store.index_merge_threshold` (64-1000000, default 2048),
    ///   `store.publish_reserve` (bytes below `store.max_map_size` kept from publishes for
    ///   acknowledgements, deliveries and audit entries; at most half the maximum; default an
    ///   eighth of the maximum, at most `1GiB`);
    ///   `store.watermark` (a file on another disk than the store recording ceilings above
    ///   every sequence and audit index handed out and the latest checkpoint; default none),
    ///   `store.watermark_block` (100-10000000, default 10000: how far ahead the ceilings go),
    ///   `store.bookkeeping_linger` (0ms-100ms, default 1ms: how long a few delivery records and
    ///   acknowledgements wait for a publish to commit with while publishes flow),
    ///   `store.dedup_horizon` (how long a repeat of a publisher's message id is recognised at
    ///   least: `forever` (the default) or an age such as `400d`, at least `1d`);
    /// - `server.*` and `limits.*`: see ``ServerConfiguration``;
    /// - `log.level`: trace, debug, info, notice, warning, error or critical (default info);
    /// - `log.format`: text or json (default text), see ``LogFormat``;
    /// - `audit.*`: see ``AuditConfiguration``; `audit.hash` (sha256 or sm3, default sha256) sets
    ///   the store's audit tree hash;
    /// - `bulk_reads.*`: see `BulkReadBudget.Configuration.init(reader:)`;
    /// - `retention.*`: see `RetentionService.Configuration.init(reader:)`;
    /// - `console.*`: see `ConsoleConfiguration.init(reader:)`;
    /// - `agreements.*`: see `AgreementWatch.Configuration.init(reader:)`;
    /// - `delivery.*`: see `DeliveryConfiguration.init(reader:)`.
    init(reader: ConfigReader) throws {
        try reader.rejectUnknownKeys(
            Self.storeKeys.union(ServerConfiguration.keys).union(AuditConfiguration.keys).union(BulkReadBudget.Configuration.keys)
                .union(RetentionService.Configuration.keys).union(AgreementWatch.Configuration.keys)
                .union(ConsoleConfiguration.keys).union(DeliveryConfiguration.keys).union(["log.level", "log.format"]))
        let directory = try reader.path("store.directory") ?? reader.resolve("data")
        let defaults = StoreConfiguration(directory: directory)
        let initial = try reader.size("store.initial_map_size") ?? defaults.initialMapSize
        let maximum = try reader.size("store.max_map_size") ?? defaults.maxMapSize
        guard maximum >= initial else {
            throw reader.problem("store.max_map_size", "must be at least store.initial_map_size")
        }
        let reserve = try reader.size("store.publish_reserve")
        if let reserve, reserve > maximum / 2 {
            throw reader.problem("store.publish_reserve", "must be at most half of store.max_map_size (\(maximum / 2) bytes)")
        }
        var store = StoreConfiguration(
            directory: directory, initialMapSize: initial, maxMapSize: maximum,
            maxBatchOperations: try reader.integer("store.max_batch_operations", in: 1...1_000_000) ?? defaults.maxBatchOperations,
            maxReaders: UInt32(try reader.integer("store.max_readers", in: 8...100_000) ?? Int(defaults.maxReaders)),
            auditHash: try AuditConfiguration.hashAlgorithm(reader: reader) ?? defaults.auditHash,
            indexMergeThreshold: try reader.integer("store.index_merge_threshold", in: 64...1_000_000) ?? defaults.indexMergeThreshold,
            publishReserve: reserve)
        store.watermarkPath = try reader.path("store.watermark")
        if let block = try reader.integer("store.watermark_block", in: 100...10_000_000) {
            store.watermarkBlock = UInt64(block)
        }
        if let linger = try reader.duration("store.bookkeeping_linger") {
            guard linger <= .milliseconds(100) else { throw reader.problem("store.bookkeeping_linger", "must be at most 100ms") }
            store.bookkeepingLinger = linger
        }
        store.dedupHorizon = try Self.dedupHorizon(reader)
        var level = Logger.Level.info
        if let text = try reader.string("log.level") {
            guard let parsed = Logger.Level(rawValue: text) else {
                throw reader.problem("log.level", "\"\(text)\" is not one of trace, debug, info, notice, warning, error, critical")
            }
            level = parsed
        }
        var format = LogFormat.text
        if let text = try reader.string("log.format") {
            guard let parsed = LogFormat(rawValue: text) else {
                throw reader.problem("log.format", "\"\(text)\" is not one of text, json")
            }
            format = parsed
        }
        self.init(
            store: store, server: try ServerConfiguration(reader: reader), logLevel: level, audit: try AuditConfiguration(reader: reader),
            bulkReads: try BulkReadBudget.Configuration(reader: reader), agreementWatch: try AgreementWatch.Configuration(reader: reader))
        retention = try RetentionService.Configuration(reader: reader)
        logFormat = format
        self.console = try ConsoleConfiguration(reader: reader)
        self.delivery = try DeliveryConfiguration(reader: reader)
    }

    /// The shortest `store.dedup_horizon`: a day, so that a client retrying after an outage
    /// of hours is still recognised.
    static let minimumDedupHorizon: UInt64 = 86_400

    /// `store.dedup_horizon`: `forever` (or absent) for `nil`, or an age such as `400d`, `52w`,
    /// `8760h` or a number of seconds, from a day to 100 years.
    static func dedupHorizon(_ reader: ConfigReader) throws -> Duration? {
        guard let value = reader.value("store.dedup_horizon") else { return nil }
        let text = String(describing: value).trimmingCharacters(in: .whitespaces)
        if text == "forever" { return nil }
        guard let seconds = RetentionPolicy.age(text) else {
            throw reader.problem(
                "store.dedup_horizon", "\"\(text.prefix(64))\" is not forever or an age such as 400d, 52w or 8760h (at most 100 years)")
        }
        guard seconds >= minimumDedupHorizon else {
            throw reader.problem("store.dedup_horizon", "must be at least 1d (a repeat must be recognised for at least a day)")
        }
        return .seconds(Int64(seconds))
    }
}
