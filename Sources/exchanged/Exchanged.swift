import ArgumentParser
import ExchangeStore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The exchange daemon. It opens the durable store and keeps it until SIGTERM or SIGINT, then
/// finishes in-flight commits and closes the environment.
@main
struct Exchanged: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanged",
        abstract: "Run the Data Exchange daemon.")

    @Option(help: "The configuration file.")
    var config = "Config/exchange.yaml"

    func run() async throws {
        let settings: DaemonConfiguration
        do {
            settings = try DaemonConfiguration.load(path: config)
        } catch {
            throw ValidationError("configuration: \(error)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.logLevel
            return handler
        }
        let logger = Logger(label: "exchanged")
        let store: ExchangeStore
        do {
            store = try ExchangeStore(configuration: settings.store, logger: Logger(label: "exchange.store"))
        } catch {
            throw ValidationError("store: \(error)")
        }
        let statistics = store.statistics()
        logger.info(
            "exchange ready",
            metadata: [
                "data": "\(settings.store.directory)", "events": "\(statistics.lastSequence)",
                "audit_entries": "\(statistics.auditCount)", "map_bytes": "\(statistics.mapSize)",
            ])
        let signal = await ShutdownSignal.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        store.close()
    }
}

/// Waits for SIGTERM or SIGINT.
enum ShutdownSignal {
    static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "exchanged.signals")
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                Glibc.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.set() { continuation.resume(returning: name) }
                }
                source.resume()
                sources.append(source)
            }
            Keep.sources = sources
        }
    }

    private final class OnceFlag: @unchecked Sendable {
        private var fired = false
        private let lock = NSLock()
        func set() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if fired { return false }
            fired = true
            return true
        }
    }

    private enum Keep {
        nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    }
}
