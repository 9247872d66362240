import ExchangeConfig
import ExchangeEngine
import Foundation
import Testing

@Suite("Delivery configuration")
struct DeliveryConfigurationTests {
    static func parse(_ section: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration.parse(yaml: AuditConfigurationTests.tls + section, path: "/etc/exchange/exchange.yaml")
    }

    @Test func theDefaultIsFourMebibytes() throws {
        #expect(try Self.parse("").delivery.maxBatchBytes == 4 << 20)
        #expect(EngineConfiguration().maxBatchBytes == 4 << 20)
    }

    @Test(arguments: [("64KiB", 64 << 10), ("65536", 65536), ("16MiB", 16 << 20), ("256MiB", 256 << 20)])
    func valuesInRangeAreRead(_ text: String, _ bytes: Int) throws {
        #expect(try Self.parse("delivery:\n  max_batch_bytes: \(text)\n").delivery.maxBatchBytes == bytes)
    }

    @Test(arguments: ["65535", "1KiB", "0", "-1", "257MiB", "1GiB", "lots"])
    func valuesOutOfRangeAreRefusedNamingTheKey(_ text: String) {
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse("delivery:\n  max_batch_bytes: \(text)\n") }
        #expect(error?.key == "delivery.max_batch_bytes")
    }

    @Test func aMisspeltKeyIsRefused() {
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse("delivery:\n  max_bytes: 1MiB\n") }
        #expect(error?.key == "delivery.max_bytes")
    }

    @Test func theRefusalNamesTheRange() {
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse("delivery:\n  max_batch_bytes: 1GiB\n") }
        #expect(error.map { "\($0)" }?.contains("64KiB to 256MiB") == true)
    }
}
