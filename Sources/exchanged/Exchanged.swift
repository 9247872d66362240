import ArgumentParser
import ExchangeAudit
import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import ExchangeWire
import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The exchange daemon. It opens the durable store, serves HTTPS (operations endpoints and, once
/// the engine registers them, the exchange API) and on SIGTERM or SIGINT stops accepting,
/// finishes in-flight requests, then closes the store.
@main
struct Exchanged: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanged",
        abstract: "Run the Data Exchange daemon.",
        discussion: """
            Runs until SIGTERM or SIGINT (graceful shutdown); SIGHUP reloads the agreements and the TLS files, and \
            applies store.max_map_size and store.publish_reserve from the configuration file. A \
            failure to start is one line on standard error, `error: <code>: <detail>`, exit status 1; \
            wrong options exit with status 64.
            """)

    /// Parses the options and runs the daemon; a failure at run time is one line, not a usage text.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if let daemon = command as? Exchanged {
                try await daemon.run()
            } else {
                // --help and the like.
                try command.run()
            }
        } catch let failure as StartupFailure {
            FileHandle.standardError.write(Data("error: \(failure.code): \(failure.detail)\n".utf8))
            Foundation.exit(1)
        } catch {
            if exitCode(for: error) == .success || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data("error: exchange.failed: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }

    @Option(help: "The configuration file.")
    var config = "Config/exchange.yaml"

    @Option(help: "The directory of departments.yaml, topics.yaml and agreements/. Default: the configuration file's directory.")
    var agreements: String?

    @Option(
        name: .customLong("acknowledge-rollback"),
        help: "Acknowledge that the store was restored from a backup or rolled back, giving the reason (audited): a new epoch of the log opens that reuses no sequence or audit index handed out before (docs/operations.md, Backup and restore).")
    var acknowledgeRollback: String?

    func run() async throws {
        let settings: ExchangeConfiguration
        do {
            settings = try ExchangeConfiguration.load(path: config)
        } catch {
            throw StartupFailure(code: "config.invalid", detail: "\(error)")
        }
        // Every line logged while serving a request carries its id (RequestID.metadataProvider).
        LoggingSystem.bootstrap(
            { label, provider in
                switch settings.logFormat {
                case .text:
                    // Control characters escaped, so one record stays one line (no forged lines).
                    var handler = EscapingLogHandler(
                        base: StreamLogHandler.standardError(label: label, metadataProvider: provider.map(EscapingLogHandler.escaping)))
                    handler.logLevel = settings.logLevel
                    return handler
                case .json:
                    var handler = JSONLogHandler(label: label, metadataProvider: provider)
                    handler.logLevel = settings.logLevel
                    return handler
                }
            }, metadataProvider: RequestID.metadataProvider)
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(ExchangeMetrics.makePrometheusFactory(registry: prometheus))
        let logger = Logger(label: "exchanged")

        let agreementsDirectory = agreements ?? URL(fileURLWithPath: config).deletingLastPathComponent().path
        let loaded = ConfigurationLoader(directory: agreementsDirectory).load()
        guard let initialSet = loaded.set else {
            throw StartupFailure(
                code: "config.agreements", detail: "agreements in \(agreementsDirectory):\n" + loaded.report.allErrors.map(\.description).joined(separator: "\n"))
        }
        for error in loaded.report.allErrors {
            logger.warning("agreement refused", metadata: ["error": "\(error)"])
        }
        let agreements = AgreementRegistry(initial: initialSet, loader: ConfigurationLoader(directory: agreementsDirectory))
        let archiver = try Self.archiver(settings.retention, topics: initialSet.topics)
        let auditSink = AuditSink(logger: Logger(label: "exchange.tokens"))
        let tokens: TokenStore?
        do {
            tokens = try settings.server.tokensPath.map {
                try TokenStore(path: $0, logger: Logger(label: "exchange.tokens")) { changes in
                    auditSink.append(
                        changes.map {
                            AuditEvent(
                                kind: .tokenChanged, actor: "tokens-file",
                                fields: ["token": .string($0.name), "role": .string($0.role.rawValue), "change": .string($0.kind.rawValue)])
                        })
                }
            }
        } catch {
            throw StartupFailure(code: "config.tokens", detail: "\(error)")
        }

        let tls: ServerTLSContext
        do {
            // Fail on unreadable TLS material before the store is opened.
            tls = try ServerTLSContext(configuration: settings.server)
        } catch {
            throw StartupFailure(code: "server.start_failed", detail: "\(error)")
        }
        let signers: [NoteSigner]
        do {
            signers = try settings.audit.makeSigners()
        } catch {
            throw StartupFailure(code: "audit.signing_key", detail: "\(error)")
        }
        let signer = signers.first
        if signer == nil {
            logger.warning("no audit.signing_key: audit checkpoints are not signed or issued")
        }
        let store: ExchangeStore
        do {
            var storeSettings = settings.store
            storeSettings.acknowledgeRollback = acknowledgeRollback != nil
            store = try ExchangeStore(configuration: storeSettings, logger: Logger(label: "exchange.store"))
        } catch let error as StoreError {
            throw StartupFailure(code: error.code.rawValue, detail: error.message + (error.underlying.map { " (\($0))" } ?? ""))
        } catch {
            throw StartupFailure(code: "store.open_failed", detail: "\(error)")
        }
        if let reason = acknowledgeRollback {
            do {
                let user = ProcessInfo.processInfo.environment["USER"].map { "host operator \($0)" } ?? "host operator"
                if let opening = try await store.openEpoch(actor: user, reason: reason) {
                    logger.notice(
                        "store rollback acknowledged: epoch \(opening.epoch) of the log opened",
                        metadata: [
                            "next_sequence": "\(opening.nextSequence)", "lost_audit_entries": "\(opening.lostAudit.count)",
                            "epoch_entry": "\(opening.epochEntryIndex)",
                        ])
                } else {
                    logger.notice("--acknowledge-rollback given, but the store is not behind what it held: nothing to acknowledge")
                }
            } catch {
                store.close()
                throw StartupFailure(code: (error as? StoreError)?.code.rawValue ?? "store.storage", detail: "cannot open a new epoch: \(error)")
            }
        }
        let licenceRegistryPending: Bool
        do {
            licenceRegistryPending = try store.isRegistryRebuildPending
        } catch {
            store.close()
            throw StartupFailure(code: "store.registry_unreadable", detail: "cannot read the registry's state: \(error)")
        }
        if licenceRegistryPending {
            store.close()
            throw StartupFailure(
                code: "store.registry_incomplete", detail: "the registry in \(settings.store.directory) is incomplete (a rewrite was interrupted, or the store "
                    + "was upgraded from format 2); run `exchangectl registry rebuild --write --config \(config)`, then start the daemon")
        }
        let departmentCount = initialSet.departments.count
        var engineConfiguration = EngineConfiguration(
            limits: settings.server.limits.publish, maxBatchBytes: settings.delivery.maxBatchBytes, anonymousRefusals: settings.audit.anonymousRefusals,
            bulkReads: settings.bulkReads, agreementWatch: settings.agreementWatch, principalRefusals: settings.audit.principalRefusals)
        engineConfiguration.maxSubscriptionsPerDepartment = settings.delivery.maxSubscriptionsPerDepartment
        engineConfiguration.readLimit = settings.audit.readLimit
        let exchange = Exchange(store: store, agreements: agreements, configuration: engineConfiguration, logger: Logger(label: "exchange.engine"))
        auditSink.attach(exchange)
        await exchange.auditReload(loaded.report, actor: "exchange")
        // Created here so that /metrics lists every exchange metric from the start; the engine
        // creates its own ExchangeMetrics with the same labels, which share the same series.
        let metrics = ExchangeMetrics()
        metrics.record(store.statistics())
        let commitToken = store.addCommitObserver { commit in
            metrics.commitBatchSize.record(commit.operations)
            metrics.commitLatency.recordNanoseconds(Int64(commit.durationNanoseconds))
        }
        defer { store.removeCommitObserver(commitToken) }
        let checkpoints: CheckpointService?
        do {
            checkpoints = try signer.map { _ in
                CheckpointService(
                    issuer: try CheckpointIssuer(
                        store: store, signers: signers, configuration: settings.audit.checkpoints, logger: Logger(label: "exchange.audit")),
                    logger: logger)
            }
        } catch {
            store.close()
            throw StartupFailure(code: "audit.signing_key", detail: "\(error)")
        }
        let storeService = StoreService(store: store, logger: logger)
        let operational = OperationalMetrics(registry: prometheus)
        operational.track(certificates: tls.certificateValidities)
        if tls.certificateValidities.isEmpty {
            logger.warning("certificate expiry not exported: no certificate in server.tls.certificate or server.tls.client_ca could be read for its dates")
        }
        let dependencies = ServerDependencies(
            identityResolver: AgreementIdentityResolver(registry: agreements),
            tokens: tokens,
            metricsRegistry: prometheus,
            readiness: { storeService.isOpen },
            refusalObserver: { refusal in
                // ProblemMiddleware logs each refusal with its reason and path.
                await exchange.recordRefusal(refusal)
            },
            beforeScrape: {
                // A reload may have replaced the certificates: track those in force.
                operational.track(certificates: tls.certificateValidities)
                operational.refreshCertificates(now: Date())
                if storeService.isOpen {
                    metrics.record(store.statistics())
                    if let subscriptions = try? store.subscriptions() {
                        metrics.subscriptions.record(subscriptions.count)
                        if let progress = try? store.subscriptionProgress(limit: OperationalMetrics.maxSubscriptionSeries) {
                            operational.record(
                                subscriptions: progress, total: subscriptions.count, now: UInt64(max(0, Date().timeIntervalSince1970 * 1e9)))
                        }
                    }
                    if let currency = checkpoints?.issuer.currency() {
                        operational.record(checkpointAgeSeconds: currency.ageSeconds, uncheckpointedEntries: currency.uncheckpointedEntries)
                    }
                }
            })
        for (position, each) in signers.enumerated() {
            logger.info(
                "audit checkpoints signed",
                metadata: [
                    "verifier_key": "\((try? each.verifier.verifierKey) ?? "?")", "algorithm": "\(each.key.algorithm)",
                    "key": "\(position == 0 ? "audit.signing_key" : "audit.additional_signing_keys[\(position - 1)]")",
                ])
        }
        let routes = ExchangeRoutes(
            exchange: exchange, maxRequestBody: settings.server.limits.maxRequestBody, logger: Logger(label: "exchange.api"),
            auditVerifier: signer?.verifier, tls: tls)
        let reloader = ReloadOnHangup(exchange: exchange, store: store, configPath: config, tls: tls, logger: logger)
        let app: any Service
        do {
            app = try buildApplication(
                configuration: settings.server, dependencies: dependencies, logger: Logger(label: "exchange.server"), tls: tls,
                services: [reloader] + (tokens.map { [TokenWatcher(tokens: $0)] } ?? []),
                onServerRunning: { channel in
                    let statistics = store.statistics()
                    logger.info(
                        "exchange ready",
                        metadata: [
                            "address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                            "data": "\(settings.store.directory)", "events": "\(statistics.lastSequence)",
                            "audit_entries": "\(statistics.auditCount)", "departments": "\(departmentCount)",
                        ])
                },
                routes: routes.register, webSocketRoutes: routes.registerWebSockets,
                console: settings.console.enabled
                    ? ConsoleRoutes(
                        exchange: exchange, verifier: signer?.verifier,
                        mapUse: {
                            guard storeService.isOpen else { return nil }
                            let statistics = store.statistics()
                            return statistics.mapSize > 0 ? Double(statistics.usedBytes) / Double(statistics.mapSize) : nil
                        },
                        metrics: prometheus,
                        certificates: { tls.certificateValidities },
                        configuration: settings.console, tokens: tokens, refusalObserver: dependencies.refusalObserver)
                    : nil)
        } catch {
            store.close()
            throw StartupFailure(code: "server.start_failed", detail: "\(error)")
        }
        // A service group shuts its services down in reverse order: the server first (stop
        // accepting, finish in-flight requests), then the refusals counted so far (anonymous, and
        // identified callers' beyond their burst) are written, then the checkpoint issuer (a
        // final checkpoint), then the store.
        let group = ServiceGroup(
            configuration: .init(
                services: [ServiceGroupConfiguration.ServiceConfiguration(service: storeService)]
                    + (checkpoints.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? [])
                    + [
                        ServiceGroupConfiguration.ServiceConfiguration(
                            service: RetentionRunner(
                                service: RetentionService(
                                    exchange: exchange, configuration: settings.retention, archiver: archiver,
                                    logger: Logger(label: "exchange.retention")))),
                        ServiceGroupConfiguration.ServiceConfiguration(
                            service: RefusalFlushService(
                                interval: .seconds(exchange.configuration.anonymousRefusals.intervalSeconds),
                                flush: { await exchange.flushAnonymousRefusals() })),
                        ServiceGroupConfiguration.ServiceConfiguration(
                            service: RefusalFlushService(
                                interval: .seconds(exchange.configuration.principalRefusals.intervalSeconds),
                                flush: { await exchange.flushPrincipalRefusals() })),
                        ServiceGroupConfiguration.ServiceConfiguration(service: AgreementWatchService(exchange: exchange)),
                        ServiceGroupConfiguration.ServiceConfiguration(service: app),
                    ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            storeService.close()
            throw error
        }
        storeService.close()
        logger.info("stopped")
    }
}

/// Keeps the store open while the service group runs and closes it once graceful shutdown
/// reaches it, which is after the server stopped.
final class StoreService: Service, Sendable {
    private let store: ExchangeStore
    private let logger: Logger
    private let open = Mutex(true)

    init(store: ExchangeStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Whether the store is still open.
    var isOpen: Bool { open.withLock { $0 } }

    func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Closes the store once.
    func close() {
        let wasOpen = open.withLock { open in
            defer { open = false }
            return open
        }
        guard wasOpen else { return }
        logger.info("closing the store")
        // Backups still being sent end with the process: their copies go first, while the
        // store still holds its directory.
        store.removeBackupCopies()
        store.close()
    }
}

/// Issues signed audit checkpoints while the daemon runs and a last one at graceful shutdown,
/// which reaches it after the server stopped and before the store closes.
struct CheckpointService: Service {
    let issuer: CheckpointIssuer
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await issuer.run()
        }
        do {
            if let final = try await issuer.issue() {
                logger.info("final audit checkpoint issued", metadata: ["tree_size": "\(final.treeSize)"])
            } else {
                logger.info("final audit checkpoint: the last one issued covers the log")
            }
        } catch {
            logger.error("final audit checkpoint not issued", metadata: ["error": "\(error)"])
        }
    }
}

extension Exchanged {
    /// The archive writer of `retention.archive_directory`, or `nil` when none is configured.
    /// - Throws: ``StartupFailure`` `config.archive_directory` when a topic has `archive: true`
    ///   and no directory is configured, or the directory cannot be created or written.
    static func archiver(_ retention: RetentionService.Configuration, topics: [TopicDefinition]) throws -> ArchiveWriter? {
        guard let directory = retention.archiveDirectory else {
            if let topic = topics.first(where: \.archive) {
                throw StartupFailure(
                    code: "config.archive_directory",
                    detail: "topic \(topic.name) has archive: true, but retention.archive_directory is not set: its expired events would have nowhere to go")
            }
            return nil
        }
        do {
            return try ArchiveWriter(directory: directory)
        } catch {
            throw StartupFailure(code: "config.archive_directory", detail: "retention.archive_directory: \(error)")
        }
    }
}

/// Removes expired events while the daemon runs; stops before the store closes.
struct RetentionRunner: Service {
    let service: RetentionService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await service.run()
        }
    }
}

/// Reloads the agreements (departments, topics, agreements) and the TLS files (server
/// certificate and key, client CA bundle) on SIGHUP and audits each result, and applies the store's map limits (`store.max_map_size`, `store.publish_reserve`) read again
/// from the configuration file; every other key of that file takes effect only on a restart.
struct ReloadOnHangup: Service {
    let exchange: Exchange
    let store: ExchangeStore
    let configPath: String
    let tls: ServerTLSContext
    let logger: Logger

    /// Reads the configuration file again and hands the store its map limits; a file that no
    /// longer parses changes nothing and is logged.
    func reloadStoreLimits() {
        do {
            let settings = try ExchangeConfiguration.load(path: configPath)
            store.setMapLimits(settings.store.mapLimits)
        } catch {
            logger.error("configuration not reloaded; the store's limits stay as they are", metadata: ["error": "\(error)"])
        }
    }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reloadStoreLimits()
            await exchange.reloadAgreements(actor: "signal", trigger: "sighup")
            await tls.reloadAndAudit(exchange: exchange, actor: "signal", logger: logger)
        }
    }
}

/// Writes audit events produced outside a request (token file changes) through the engine once
/// it runs; events before that are logged only.
final class AuditSink: Sendable {
    private let exchange = Mutex<Exchange?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func attach(_ exchange: Exchange) {
        self.exchange.withLock { $0 = exchange }
    }

    func append(_ events: [AuditEvent]) {
        guard let exchange = exchange.withLock({ $0 }) else {
            logger.warning("audit event before the store opened", metadata: ["events": "\(events.count)"])
            return
        }
        Task { await exchange.auditLoggingFailure(events, purpose: "a token change") }
    }
}

/// Re-reads the tokens file every two seconds, so that tokens created or revoked with
/// `exchangectl token` take effect, and are audited, without waiting for a request.
struct TokenWatcher: Service {
    let tokens: TokenStore

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            tokens.reloadIfChanged()
        }
    }
}

/// Writes the refusals counted in each interval (see `AnonymousRefusals`): the anonymous ones
/// (`audit.anonymous_refusals`) or those of identified callers beyond their burst
/// (`audit.principal_refusals`), and those of the last, partial interval at graceful shutdown.
struct RefusalFlushService: Service {
    let interval: Duration
    let flush: @Sendable () async -> Int

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            _ = await flush()
        }
    }
}

/// Checks the agreements' windows as time passes (`Exchange.watchAgreementStandings`): at
/// each `valid_from` and `valid_until` due, and every `agreements.check_interval`.
struct AgreementWatchService: Service {
    let exchange: Exchange

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await exchange.watchAgreementStandings()
        }
    }
}

/// Why the daemon could not start or stopped with an error: a stable code and a sentence.
struct StartupFailure: Error, CustomStringConvertible {
    var code: String
    var detail: String

    var description: String { "\(code): \(detail)" }
}
