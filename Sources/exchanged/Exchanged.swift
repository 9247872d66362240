import ArgumentParser
import ExchangeModel
import ExchangeServer
import ExchangeStore
import Foundation
import Logging
import Metrics
import Prometheus
import NIOCore
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The exchange daemon. It opens the durable store, serves HTTPS (operations endpoints and, once
/// the engine registers them, the exchange API) and on SIGTERM or SIGINT stops accepting,
/// finishes in-flight requests, then closes the store.
@main
struct Exchanged: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanged",
        abstract: "Run the Data Exchange daemon.")

    @Option(help: "The configuration file.")
    var config = "Config/exchange.yaml"

    @Option(help: "The departments file (ids recognised as client certificate common names). Default: departments.yaml beside the configuration file.")
    var departments: String?

    func run() async throws {
        let settings: ExchangeConfiguration
        do {
            settings = try ExchangeConfiguration.load(path: config)
        } catch {
            throw ValidationError("configuration: \(error)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(ExchangeMetrics.makePrometheusFactory(registry: registry))
        let logger = Logger(label: "exchanged")

        let departmentsPath = departments
            ?? URL(fileURLWithPath: config).deletingLastPathComponent().appendingPathComponent("departments.yaml").path
        var departmentIDs: [DepartmentID] = []
        if departments != nil || FileManager.default.fileExists(atPath: departmentsPath) {
            do {
                departmentIDs = try DepartmentList.load(path: departmentsPath)
            } catch {
                throw ValidationError("departments: \(error)")
            }
        }
        let tokens: TokenStore?
        do {
            tokens = try settings.server.tokensPath.map { try TokenStore(path: $0, logger: Logger(label: "exchange.tokens")) }
        } catch {
            throw ValidationError("tokens: \(error)")
        }

        do {
            // Fail on unreadable TLS material before the store is opened.
            _ = try settings.server.makeTLSConfiguration()
        } catch {
            throw ValidationError("server: \(error)")
        }
        let store: ExchangeStore
        do {
            store = try ExchangeStore(configuration: settings.store, logger: Logger(label: "exchange.store"))
        } catch {
            throw ValidationError("store: \(error)")
        }
        let departmentCount = departmentIDs.count
        // Created here so that /metrics lists every exchange metric from the start; the engine
        // creates its own ExchangeMetrics with the same labels, which share the same series.
        let metrics = ExchangeMetrics()
        metrics.record(store.statistics())
        let storeService = StoreService(store: store, logger: logger)
        let auditLogger = Logger(label: "exchange.access")
        let dependencies = ServerDependencies(
            identityResolver: StaticCertificateIdentityResolver.commonNames(departmentIDs),
            tokens: tokens,
            registry: registry,
            readiness: { storeService.isOpen },
            refusalObserver: { event in
                auditLogger.info("access denied", metadata: ["actor": "\(event.actor)"])
                do {
                    _ = try await store.appendAudit([event])
                } catch {
                    auditLogger.error("refusal not audited", metadata: ["error": "\(error)"])
                }
            },
            beforeScrape: {
                if storeService.isOpen { metrics.record(store.statistics()) }
            })
        let app: any Service
        do {
            app = try buildApplication(
                configuration: settings.server, dependencies: dependencies, logger: Logger(label: "exchange.server"),
                onServerRunning: { channel in
                    let statistics = store.statistics()
                    logger.info(
                        "exchange ready",
                        metadata: [
                            "address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                            "data": "\(settings.store.directory)", "events": "\(statistics.lastSequence)",
                            "audit_entries": "\(statistics.auditCount)", "departments": "\(departmentCount)",
                        ])
                })
        } catch {
            store.close()
            throw ValidationError("server: \(error)")
        }
        // A service group shuts its services down in reverse order: the server first (stop
        // accepting, finish in-flight requests), then the store.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: storeService), .init(service: app)],
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
        store.close()
    }
}
