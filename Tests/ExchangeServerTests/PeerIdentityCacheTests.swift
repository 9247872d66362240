@testable import ExchangeServer
import NIOCore
import NIOEmbedded
import Testing

@Suite("Peer identity cache")
struct PeerIdentityCacheTests {
    @Test func forgetsAConnectionWhenItCloses() async throws {
        let cache = PeerIdentityCache()
        let first = NIOAsyncTestingChannel()
        let second = NIOAsyncTestingChannel()
        // Without TLS there is no identity, and that absence is cached per connection.
        #expect(await cache.identity(of: first) == nil)
        #expect(await cache.identity(of: first) == nil)
        #expect(await cache.identity(of: second) == nil)
        #expect(cache.count == 2)
        try await first.close()
        #expect(cache.count == 1)
        try await second.close()
        #expect(cache.count == 0)
    }
}
