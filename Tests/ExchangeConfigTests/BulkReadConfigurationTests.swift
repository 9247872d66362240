import ExchangeConfig
import ExchangeEngine
import Foundation
import Testing

@Suite("Bulk-read configuration")
struct BulkReadConfigurationTests {
    static func parse(_ section: String) throws -> ExchangeConfiguration {
        try ExchangeConfiguration.parse(yaml: AuditConfigurationTests.tls + section, path: "/etc/exchange/exchange.yaml")
    }

    @Test func defaults() throws {
        let bulkReads = try Self.parse("").bulkReads
        #expect(bulkReads == BulkReadBudget.Configuration())
        #expect(bulkReads.maxConcurrent == 4)
        #expect(bulkReads.maxBytesPerSecond == 0)
        #expect(bulkReads.maxYield == .milliseconds(20))
        #expect(bulkReads.writeTimeout == .seconds(30))
    }

    @Test func theByteRateHasAFloorAndTheWriteTimeoutIsRead() throws {
        let floor = try Self.parse("bulk_reads:\n  max_bytes_per_second: 64KiB\n  write_timeout: 5s\n").bulkReads
        #expect(floor.maxBytesPerSecond == 64 << 10)
        #expect(floor.writeTimeout == .seconds(5))
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse("bulk_reads:\n  max_bytes_per_second: 1\n") }
        #expect(error.map { "\($0)" }?.contains("64KiB") == true, "the error names the floor")
    }

    @Test func readsEveryKey() throws {
        let bulkReads = try Self.parse(
            """
            bulk_reads:
              max_concurrent: 1
              max_bytes_per_second: 32MiB
              max_yield: 5ms
            """
        ).bulkReads
        #expect(bulkReads == BulkReadBudget.Configuration(maxConcurrent: 1, maxBytesPerSecond: 32 << 20, maxYield: .milliseconds(5)))
        #expect(try Self.parse("bulk_reads:\n  max_bytes_per_second: 0\n  max_yield: 0\n").bulkReads.maxBytesPerSecond == 0)
    }

    @Test(arguments: [
        ("bulk_reads:\n  max_concurrent: 0\n", "bulk_reads.max_concurrent"),
        ("bulk_reads:\n  max_concurrent: 1001\n", "bulk_reads.max_concurrent"),
        ("bulk_reads:\n  max_bytes_per_second: 2TiB\n", "bulk_reads.max_bytes_per_second"),
        ("bulk_reads:\n  max_yield: 2s\n", "bulk_reads.max_yield"),
        ("bulk_reads:\n  max_reads: 2\n", "bulk_reads.max_reads"),
        ("bulk_reads:\n  max_bytes_per_second: 1\n", "bulk_reads.max_bytes_per_second"),
        ("bulk_reads:\n  max_bytes_per_second: 65535\n", "bulk_reads.max_bytes_per_second"),
        ("bulk_reads:\n  write_timeout: 500ms\n", "bulk_reads.write_timeout"),
        ("bulk_reads:\n  write_timeout: 2h\n", "bulk_reads.write_timeout"),
        ("bulk_reads:\n  write_timeout: 0\n", "bulk_reads.write_timeout"),
    ])
    func outOfRangeValuesAreRefusedNamingTheKey(_ section: String, _ key: String) {
        let error = #expect(throws: ConfigKeyError.self) { try Self.parse(section) }
        #expect(error?.key == key)
    }
}
