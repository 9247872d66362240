import Synchronization

/// The agreement set in force, swapped atomically at runtime.
///
/// Readers take ``current`` (one lock acquisition and one reference copy) and work on that
/// immutable snapshot; a reload builds a new snapshot off to the side and swaps it in at once.
/// Reloads are serialised. Every load returns a ``ReloadReport`` for the audit log.
///
/// ```swift
/// let registry = AgreementRegistry(loader: ConfigurationLoader(directory: "Config"))
/// let report = registry.reload()            // on SIGHUP or the admin API
/// let routes = registry.current.route(event, from: publisher, at: Date())
/// ```
public final class AgreementRegistry: Sendable {
    private let state: Mutex<AgreementSet>
    private let reloading = Mutex(())
    /// Where ``reload()`` reads from.
    public let loader: ConfigurationLoader

    /// Creates a registry.
    /// - Parameters:
    ///   - initial: the set in force at first; default ``AgreementSet/empty`` (deny everything).
    ///   - loader: where ``reload()`` reads from; default the `Config` directory.
    public init(initial: AgreementSet = .empty, loader: ConfigurationLoader = ConfigurationLoader()) {
        self.state = Mutex(initial)
        self.loader = loader
    }

    /// The agreement set in force now.
    public var current: AgreementSet {
        state.withLock { $0 }
    }

    /// Loads the configuration directory and, unless the load is refused as a whole, puts the
    /// new set in force.
    /// - Returns: what changed and what was refused.
    @discardableResult
    public func reload() -> ReloadReport {
        reloading.withLock { _ in
            let result = loader.load(previous: current)
            if let set = result.set {
                state.withLock { $0 = set }
            }
            return result.report
        }
    }

    /// Puts a set built in code in force.
    /// - Parameter set: the new set.
    /// - Returns: what changed compared with the set it replaces.
    @discardableResult
    public func replace(with set: AgreementSet) -> ReloadReport {
        reloading.withLock { _ in
            let before = state.withLock { current in
                let before = current
                current = set
                return before
            }
            return ConfigurationLoader.compare(before, set)
        }
    }
}
