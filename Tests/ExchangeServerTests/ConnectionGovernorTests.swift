import ExchangeServer
import Prometheus
import Synchronization
import Testing

/// The connection limit: which connection a new one displaces, and when it is refused.
@Suite struct ConnectionGovernorTests {
    /// A governor whose connections record being closed, by name.
    final class Fixture: Sendable {
        let registry = PrometheusCollectorRegistry()
        let governor: ConnectionGovernor
        let closed = Mutex<[String]>([])

        init(maxConnections: Int) {
            governor = ConnectionGovernor(
                maxConnections: maxConnections,
                metrics: ConnectionMetrics(factory: ExchangeMetrics.makePrometheusFactory(registry: registry)))
        }

        func admit(_ name: String) -> ConnectionGovernor.Ticket? {
            governor.admit(close: { self.closed.withLock { $0.append(name) } })
        }

        var closedNames: [String] { closed.withLock { $0 } }

        var exposition: String {
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test func admitsBelowTheLimitAndCountsOpenConnections() throws {
        let fixture = Fixture(maxConnections: 3)
        let tickets = try (0..<3).map { try #require(fixture.admit("c\($0)")) }
        #expect(fixture.governor.openConnections == 3)
        #expect(fixture.closedNames.isEmpty)
        fixture.governor.remove(tickets[1])
        #expect(fixture.governor.openConnections == 2)
        #expect(fixture.governor.phase(of: tickets[1]) == nil)
        #expect(fixture.exposition.contains("exchange_connections_open 2"), "\(fixture.exposition)")
    }

    @Test func atTheLimitTheConnectionIdleLongestIsEvicted() throws {
        let fixture = Fixture(maxConnections: 3)
        let a = try #require(fixture.admit("a"))
        let b = try #require(fixture.admit("b"))
        _ = try #require(fixture.admit("c"))
        // c has been handshaking since it was accepted, b waits for its first request since
        // then, and a finished a request just now.
        fixture.governor.enter(.waiting, for: b)
        fixture.governor.enter(.busy, for: a)
        fixture.governor.enter(.waiting, for: a)
        _ = try #require(fixture.admit("d"))
        #expect(fixture.closedNames == ["c"])
        _ = try #require(fixture.admit("e"))
        #expect(fixture.closedNames == ["c", "b"])
        #expect(fixture.exposition.contains(#"exchange_connections_shed_total{action="evicted",phase="waiting"} 1"#), "\(fixture.exposition)")
        #expect(fixture.exposition.contains(#"exchange_connections_shed_total{action="evicted",phase="handshaking"} 1"#))
    }

    @Test func requestsInProgressAndStreamsAreNeverEvicted() throws {
        let fixture = Fixture(maxConnections: 2)
        let a = try #require(fixture.admit("a"))
        let b = try #require(fixture.admit("b"))
        fixture.governor.enter(.busy, for: a)
        fixture.governor.enter(.streaming, for: b)
        #expect(fixture.admit("c") == nil)
        #expect(fixture.closedNames.isEmpty)
        #expect(fixture.governor.openConnections == 2)
        #expect(fixture.exposition.contains(#"exchange_connections_shed_total{action="refused",phase="at_limit"} 1"#), "\(fixture.exposition)")
        // Once one is back to waiting for a request, it can make room.
        fixture.governor.enter(.waiting, for: a)
        #expect(fixture.admit("c") != nil)
        #expect(fixture.closedNames == ["a"])
    }

    @Test func waitingConnectionsGoBeforeThoseReadingAHead() throws {
        let fixture = Fixture(maxConnections: 3)
        let a = try #require(fixture.admit("a"))
        let b = try #require(fixture.admit("b"))
        let c = try #require(fixture.admit("c"))
        fixture.governor.enter(.readingHead, for: a)
        fixture.governor.enter(.readingHead, for: b)
        fixture.governor.enter(.waiting, for: c)
        _ = try #require(fixture.admit("d"))
        fixture.governor.enter(.busy, for: try #require(fixture.admit("e")))
        #expect(fixture.closedNames == ["c", "d"])
        // Only heads being read are left to evict: the oldest goes first.
        _ = try #require(fixture.admit("f"))
        #expect(fixture.closedNames == ["c", "d", "a"])
        #expect(fixture.exposition.contains(#"exchange_connections_shed_total{action="evicted",phase="reading_head"} 1"#))
    }

    @Test func anEvictedConnectionIsClosedOnceAndCountedUntilRemoved() throws {
        let fixture = Fixture(maxConnections: 1)
        let a = try #require(fixture.admit("a"))
        let b = try #require(fixture.admit("b"))
        #expect(fixture.closedNames == ["a"])
        #expect(fixture.governor.openConnections == 2)
        // Phase changes of a closing connection do not queue it again.
        fixture.governor.enter(.waiting, for: a)
        _ = try #require(fixture.admit("c"))
        #expect(fixture.closedNames == ["a", "b"])
        fixture.governor.remove(a)
        fixture.governor.remove(b)
        #expect(fixture.governor.openConnections == 1)
    }

    @Test func evictionsStillClosingAreBounded() throws {
        let fixture = Fixture(maxConnections: 4)
        for index in 0..<4 { _ = try #require(fixture.admit("c\(index)")) }
        // None of the evicted connections finishes closing.
        var admitted = 0
        while fixture.admit("n\(admitted)") != nil { admitted += 1 }
        #expect(admitted == ConnectionGovernor.closingAllowance)
        #expect(fixture.governor.openConnections == 4 + ConnectionGovernor.closingAllowance)
        #expect(fixture.closedNames.count == ConnectionGovernor.closingAllowance)
    }

    @Test func theLimitLeavesDescriptorsForTheStoreAndFiles() {
        let limits = ConnectionLimits(maxConnections: 4096)
        #expect(limits.effectiveMaxConnections(descriptorLimit: nil) == 4096)
        #expect(limits.effectiveMaxConnections(descriptorLimit: 1024) == 1024 - ConnectionLimits.descriptorReserve)
        #expect(limits.effectiveMaxConnections(descriptorLimit: 65536) == 4096)
        #expect(limits.effectiveMaxConnections(descriptorLimit: 100) == 1)
    }
}
