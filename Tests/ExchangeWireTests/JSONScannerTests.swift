@testable import ExchangeConfig
import ExchangeModel
@testable import ExchangeWire
import Testing

@Suite struct JSONScannerTests {
    /// The word-at-a-time skip never passes a byte the string scanner must look at.
    @Test func skippingPlainBytesStopsBeforeEverySpecialByte() {
        var generator = SystemRandomNumberGenerator()
        let special: Set<UInt8> = [0x22, 0x5C]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...40, using: &generator)
            let bytes: [UInt8] = (0..<count).map { _ in
                // Mostly plain ASCII, with quotes, backslashes, control and high bytes mixed in.
                switch Int.random(in: 0..<20, using: &generator) {
                case 0: 0x22
                case 1: 0x5C
                case 2: UInt8.random(in: 0..<0x20, using: &generator)
                case 3: UInt8.random(in: 0x80...0xFF, using: &generator)
                default: UInt8.random(in: 0x20..<0x7F, using: &generator)
                }
            }
            let start = count == 0 ? 0 : Int.random(in: 0...count, using: &generator)
            let firstSpecial = bytes[start...].firstIndex { $0 < 0x20 || $0 >= 0x80 || special.contains($0) } ?? bytes.count
            let skipped = bytes.withUnsafeBufferPointer { JSONScanner.skipPlainBytes($0, from: start) }
            #expect(skipped >= start && skipped <= firstSpecial, "\(bytes) from \(start): \(skipped)")
            // It stops short only where fewer than eight plain bytes remain before a special one.
            #expect(firstSpecial - skipped < 8, "\(bytes) from \(start): \(skipped)")
            // It advances whole words only while they are plain.
            #expect((skipped - start) % 8 == 0)
        }
    }

    @Test func escapesAndUnicodeInsideLongStringsStillParse() throws {
        let text = #"{"specversion":"1.0","id":"x","type":"t","topic":"a.b","data":{"note":"plain text long enough to skip by words \"quoted\" then \\ and \u00e9 and 许可证 end"}}"#
        let envelope = try CloudEvents.parseStructured(Array(text.utf8), options: CloudEventsOptions(limits: PublishLimits(), source: "s"))
        #expect(String(decoding: envelope.data, as: UTF8.self).contains("许可证"))
        // A raw control character (a tab) deep inside a long plain string is still refused.
        let broken = Array(#"{"specversion":"1.0","id":"x","type":"t","topic":"a.b","data":"long plain text with a raw tab"#.utf8) + [0x09]
            + Array(#"inside"}"#.utf8)
        #expect(throws: ProblemError.self) { try CloudEvents.parseStructured(broken, options: CloudEventsOptions(limits: PublishLimits(), source: "s")) }
    }

    /// Data the scanner keeps as raw bytes must be what `JSONValue.parse` reads later (patterns,
    /// projections, schemas): an unpaired surrogate escape is refused by both.
    @Test(arguments: [#""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#])
    func unpairedSurrogatesInDataAreRefusedAsTheParserRefusesThem(_ data: String) throws {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array(data.utf8)) }
        let text = #"{"specversion":"1.0","id":"x","type":"t","topic":"a.b","data":{"note":"# + data + "}}"
        #expect(throws: ProblemError.self) { try CloudEvents.parseStructured(Array(text.utf8), options: CloudEventsOptions(limits: PublishLimits(), source: "s")) }
        let paired = #"{"specversion":"1.0","id":"x","type":"t","topic":"a.b","data":{"note":"\ud83d\ude00"}}"#
        #expect(try JSONValue.parse(try CloudEvents.parseStructured(Array(paired.utf8), options: CloudEventsOptions(limits: PublishLimits(), source: "s")).data) != nil)
    }
}
