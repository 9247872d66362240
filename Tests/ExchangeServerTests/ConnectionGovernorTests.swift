import ExchangeConfig
import ExchangeEngine
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

        init(maxConnections: Int, perCertificate: Int? = nil) {
            governor = ConnectionGovernor(
                maxConnections: maxConnections, maxConnectionsPerCertificate: perCertificate,
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

    /// One certificate holds at most its share; another certificate, and connections without
    /// one, are not affected; a closed connection frees its place in the share.
    @Test func aCertificateHoldsAtMostItsShare() throws {
        let fixture = Fixture(maxConnections: 10, perCertificate: 2)
        let tax: [UInt8] = [1, 2, 3]
        let msa: [UInt8] = [4, 5, 6]
        let first = try #require(fixture.admit("t1"))
        let second = try #require(fixture.admit("t2"))
        let third = try #require(fixture.admit("t3"))
        #expect(fixture.governor.claim(first, certificate: tax))
        #expect(fixture.governor.claim(second, certificate: tax))
        #expect(!fixture.governor.claim(third, certificate: tax))
        #expect(fixture.governor.connections(ofCertificate: tax) == 2)
        let other = try #require(fixture.admit("m1"))
        #expect(fixture.governor.claim(other, certificate: msa))
        fixture.governor.remove(third)
        fixture.governor.remove(first)
        #expect(fixture.governor.connections(ofCertificate: tax) == 1)
        let fourth = try #require(fixture.admit("t4"))
        #expect(fixture.governor.claim(fourth, certificate: tax))
        #expect(fixture.exposition.contains(#"exchange_connections_shed_total{action="refused",phase="over_certificate_share"} 1"#), "\(fixture.exposition)")
    }

    @Test func theShareDefaultsToAQuarterOfTheLimit() {
        #expect(ConnectionLimits(maxConnections: 4096).effectiveMaxConnectionsPerCertificate(maxConnections: 4096) == 1024)
        #expect(ConnectionLimits().effectiveMaxConnectionsPerCertificate(maxConnections: 3) == 1)
        #expect(ConnectionLimits(maxConnectionsPerCertificate: 5000).effectiveMaxConnectionsPerCertificate(maxConnections: 896) == 896)
        #expect(ConnectionLimits(maxConnectionsPerCertificate: 8).effectiveMaxConnectionsPerCertificate(maxConnections: 896) == 8)
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
