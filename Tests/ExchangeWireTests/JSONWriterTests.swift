@testable import ExchangeWire
import Foundation
import Testing

@Suite struct JSONWriterTests {
    /// The word-at-a-time check agrees with a byte-by-byte one on every kind of byte.
    @Test func needsEscapeAgreesWithAByteByByteCheck() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let bytes: [UInt8] = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                switch Int.random(in: 0..<24, using: &generator) {
                case 0: 0x22
                case 1: 0x5C
                case 2: UInt8.random(in: 0..<0x20, using: &generator)
                case 3...5: UInt8.random(in: 0x80...0xFF, using: &generator)
                default: UInt8.random(in: 0x20..<0x7F, using: &generator)
                }
            }
            let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
            #expect(bytes.withUnsafeBufferPointer { JSONWriter.needsEscape($0) } == expected, "\(bytes)")
        }
    }

    @Test func stringsRoundTripThroughJSONSerialization() throws {
        for text in ["plain", "", "licence \"A-1\" of 许可证 \\ end", "tab\there and newline\n and \u{01}", String(repeating: "x", count: 100)] {
            var writer = JSONWriter()
            writer.beginObject()
            writer.member("v", string: text)
            writer.endObject()
            let object = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: String]
            #expect(object?["v"] == text)
        }
    }
}
