import ExchangeConfig
import ExchangeStore
import Testing

/// `store.publish_reserve`: read in bytes, defaulted from `store.max_map_size`, at most half of it.
@Suite struct PublishReserveConfigurationTests {
    static let tls = "server:\n  tls:\n    certificate: a.crt\n    private_key: a.key\n    client_ca: ca.crt\n"

    @Test func theReserveIsReadAndSetsThePublishLimit() throws {
        let yaml = Self.tls + "store:\n  max_map_size: 1GiB\n  publish_reserve: 100MiB\n"
        let configuration = try ExchangeConfiguration.parse(yaml: yaml, path: "/etc/exchange/exchange.yaml")
        #expect(configuration.store.publishReserve == 100 << 20)
        #expect(configuration.store.mapLimits == StoreMapLimits(maxMapSize: 1 << 30, publishReserve: 100 << 20))
        #expect(configuration.store.mapLimits.publishLimit == (1 << 30) - (100 << 20))
    }

    @Test func withoutTheKeyTheReserveIsAnEighthOfTheMaximum() throws {
        let yaml = Self.tls + "store:\n  initial_map_size: 64MiB\n  max_map_size: 256MiB\n"
        let configuration = try ExchangeConfiguration.parse(yaml: yaml, path: "/etc/exchange/exchange.yaml")
        #expect(configuration.store.publishReserve == nil)
        #expect(configuration.store.mapLimits.publishReserve == 32 << 20)
    }

    @Test func aReserveOverHalfTheMaximumIsRefusedNamingTheKey() {
        let yaml = Self.tls + "store:\n  max_map_size: 1GiB\n  publish_reserve: 600MiB\n"
        do {
            _ = try ExchangeConfiguration.parse(yaml: yaml, path: "/etc/exchange/exchange.yaml")
            Issue.record("a reserve over half the maximum was accepted")
        } catch let error as ConfigKeyError {
            #expect(error.key == "store.publish_reserve", "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
