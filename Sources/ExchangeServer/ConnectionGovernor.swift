import CoreMetrics
import Synchronization

/// Holds the listener's connections to a limit, closing idle ones to admit new ones.
///
/// Every accepted connection asks ``admit(close:)`` before anything else is done with it, tells
/// the governor each change of its ``ConnectionPhase`` and is removed when it closes. Below the
/// limit a connection is admitted. At the limit the governor closes the connection that entered
/// its phase longest ago among those handshaking or waiting for a request, else among those
/// reading a request head, and admits the new one in its place; requests in progress and
/// WebSocket streams are never closed for another connection. When none can be closed, the new
/// connection is refused: its caller closes it at once.
///
/// An evicted connection still holds its descriptor until its close completes, so it is counted
/// until ``remove(_:)``; at most ``closingAllowance`` such connections are let beyond the limit,
/// after which new connections are refused until closes catch up.
///
/// Once its TLS handshake names a client certificate, a connection is counted against that
/// certificate's share (``claim(_:certificate:)``); beyond ``maxConnectionsPerCertificate`` it is
/// refused, so that one department's slow requests, which are never evicted, cannot fill the
/// listener. The evictable connections wait
/// in one queue per eviction rank, ordered by when they entered their phase, so that every
/// operation is O(1) under one lock.
///
/// ```swift
/// let governor = ConnectionGovernor(maxConnections: 4096)
/// guard let ticket = governor.admit(close: { channel.close(promise: nil) }) else { return refuse() }
/// governor.enter(.waiting, for: ticket)   // handshake done
/// governor.remove(ticket)                 // closed
/// ```
public final class ConnectionGovernor: Sendable {
    /// A connection's registration.
    public struct Ticket: Hashable, Sendable {
        let id: UInt64
    }

    /// The most connections admitted at once.
    public let maxConnections: Int
    /// The most connections one client certificate holds at once.
    public let maxConnectionsPerCertificate: Int
    /// Evicted connections still closing that may be counted beyond ``maxConnections``: 32.
    public static let closingAllowance = 32

    private let state = Mutex(State())
    private let metrics: ConnectionMetrics

    /// Creates a governor.
    /// - Parameters:
    ///   - maxConnections: the most connections admitted at once, at least 1.
    ///   - maxConnectionsPerCertificate: the most one client certificate holds, at least 1;
    ///     `nil` for `maxConnections`.
    ///   - metrics: where open, evicted and refused connections are counted.
    public init(maxConnections: Int, maxConnectionsPerCertificate: Int? = nil, metrics: ConnectionMetrics = ConnectionMetrics()) {
        precondition(maxConnections >= 1, "maxConnections must be at least 1")
        self.maxConnections = maxConnections
        self.maxConnectionsPerCertificate = max(1, maxConnectionsPerCertificate ?? maxConnections)
        self.metrics = metrics
    }

    /// Admits a new connection in phase ``ConnectionPhase/handshaking``, evicting one if the limit
    /// is reached.
    /// - Parameter close: closes the connection; called at most once, outside the governor's
    ///   lock, if it is evicted later.
    /// - Returns: the connection's ticket, or `nil` when it is refused and must be closed.
    public func admit(close: @escaping @Sendable () -> Void) -> Ticket? {
        let (ticket, evicted, open) = state.withLock { (state: inout State) -> (Ticket?, Entry?, Int) in
            var evicted: Entry?
            if state.entries.count >= maxConnections {
                guard state.entries.count < maxConnections + Self.closingAllowance, let victim = state.oldestEvictable() else {
                    return (nil, nil, state.entries.count)
                }
                state.unlink(victim)
                state.entries[victim]?.isEvicted = true
                evicted = state.entries[victim]
            }
            let id = state.nextID
            state.nextID += 1
            state.entries[id] = Entry(phase: .handshaking, close: close)
            state.append(id)
            return (Ticket(id: id), evicted, state.entries.count)
        }
        if let evicted {
            metrics.evicted(evicted.phase)?.increment()
            evicted.close()
        }
        if ticket == nil { metrics.refused.increment() }
        metrics.open.record(open)
        return ticket
    }

    /// Records that the connection of `ticket` entered `phase`.
    public func enter(_ phase: ConnectionPhase, for ticket: Ticket) {
        state.withLock { state in
            guard let entry = state.entries[ticket.id], !entry.isEvicted, entry.phase != phase else { return }
            state.unlink(ticket.id)
            state.entries[ticket.id]?.phase = phase
            state.append(ticket.id)
        }
    }

    /// Counts the connection of `ticket` against the share of the client certificate it
    /// presented.
    /// - Parameters:
    ///   - ticket: the connection, after its handshake.
    ///   - certificate: a digest of the client certificate.
    /// - Returns: `false` when the certificate already holds its share: the caller closes the
    ///   connection (counted as refused `over_certificate_share`).
    public func claim(_ ticket: Ticket, certificate: [UInt8]) -> Bool {
        let claimed = state.withLock { state -> Bool in
            guard let entry = state.entries[ticket.id], !entry.isEvicted, entry.certificate == nil else { return true }
            let held = state.certificates[certificate, default: 0]
            guard held < maxConnectionsPerCertificate else { return false }
            state.certificates[certificate] = held + 1
            state.entries[ticket.id]?.certificate = certificate
            return true
        }
        if !claimed { metrics.overCertificateShare.increment() }
        return claimed
    }

    /// Connections held by the client certificate with `digest`.
    public func connections(ofCertificate digest: [UInt8]) -> Int {
        state.withLock { $0.certificates[digest] ?? 0 }
    }

    /// Forgets the connection of `ticket`, which has closed.
    public func remove(_ ticket: Ticket) {
        let open = state.withLock { state in
            state.unlink(ticket.id)
            if let certificate = state.entries[ticket.id]?.certificate {
                let held = (state.certificates[certificate] ?? 1) - 1
                state.certificates[certificate] = held > 0 ? held : nil
            }
            state.entries[ticket.id] = nil
            return state.entries.count
        }
        metrics.open.record(open)
    }

    /// Connections admitted and not yet removed, evicted ones still closing included.
    public var openConnections: Int {
        state.withLock { $0.entries.count }
    }

    /// The phase the connection of `ticket` is in; `nil` once removed.
    public func phase(of ticket: Ticket) -> ConnectionPhase? {
        state.withLock { $0.entries[ticket.id]?.phase }
    }

    private struct Entry {
        var phase: ConnectionPhase
        let close: @Sendable () -> Void
        var previous: UInt64?
        var next: UInt64?
        var isQueued = false
        var isEvicted = false
        /// The digest of the client certificate the connection counts against, once claimed.
        var certificate: [UInt8]?

        init(phase: ConnectionPhase, close: @escaping @Sendable () -> Void) {
            self.phase = phase
            self.close = close
        }
    }

    /// A doubly linked queue threaded through the entries.
    private struct Queue {
        var first: UInt64?
        var last: UInt64?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        /// Connections per client certificate digest.
        var certificates: [[UInt8]: Int] = [:]
        /// One queue per ``ConnectionPhase/evictionRank``, oldest first.
        var queues = [Queue(), Queue()]
        var nextID: UInt64 = 0

        func oldestEvictable() -> UInt64? {
            queues.lazy.compactMap(\.first).first
        }

        /// Puts `id` at the end of its phase's queue, if its phase is evictable.
        mutating func append(_ id: UInt64) {
            guard let entry = entries[id], let rank = entry.phase.evictionRank else { return }
            entries[id]?.previous = queues[rank].last
            entries[id]?.next = nil
            entries[id]?.isQueued = true
            if let last = queues[rank].last { entries[last]?.next = id } else { queues[rank].first = id }
            queues[rank].last = id
        }

        /// Takes `id` out of its queue, if it is in one.
        mutating func unlink(_ id: UInt64) {
            guard let entry = entries[id], entry.isQueued, let rank = entry.phase.evictionRank else { return }
            if let previous = entry.previous { entries[previous]?.next = entry.next } else { queues[rank].first = entry.next }
            if let next = entry.next { entries[next]?.previous = entry.previous } else { queues[rank].last = entry.previous }
            entries[id]?.previous = nil
            entries[id]?.next = nil
            entries[id]?.isQueued = false
        }
    }
}
