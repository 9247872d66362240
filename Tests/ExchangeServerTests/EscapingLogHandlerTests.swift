import ExchangeServer
import Logging
import Synchronization
import Testing

@Suite("Escaping log handler")
struct EscapingLogHandlerTests {
    final class Capture: Sendable {
        let events = Mutex<[(message: String, metadata: Logger.Metadata, provided: Logger.Metadata)]>([])
    }

    struct CaptureHandler: LogHandler {
        let capture: Capture
        var metadataProvider: Logger.MetadataProvider?
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let own = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.events.withLock { $0.append((event.message.description, own, metadataProvider?.get() ?? [:])) }
        }
    }

    /// Every string a line is made of, as the text handler would print it.
    func texts(_ metadata: Logger.Metadata) -> [String] {
        func texts(_ value: Logger.Metadata.Value) -> [String] {
            switch value {
            case .string(let text): [text]
            case .stringConvertible(let convertible): [convertible.description]
            case .array(let values): values.flatMap(texts)
            case .dictionary(let object): object.flatMap { [$0.key] + texts($0.value) }
            }
        }
        return metadata.flatMap { [$0.key] + texts($0.value) }
    }

    /// The finding: a registry key "x\n2026-12-07T07:00:00+0000 critical exchange.store: FORGED LINE\r"
    /// went into `reason=` and the text log showed a second, forged record.
    @Test func aRecordIsAlwaysOneLine() throws {
        let capture = Capture()
        let forged = "x\n2026-12-07T07:00:00+0000 critical exchange.store: FORGED LINE\r"
        let provider = Logger.MetadataProvider { ["request_id": "r\u{1B}[2J1"] }
        var handler = EscapingLogHandler(base: CaptureHandler(capture: capture, metadataProvider: EscapingLogHandler.escaping(provider)))
        handler[metadataKey: "set\u{0}"] = "held\u{85}"
        let logger = Logger(label: "exchange.server", factory: { _ in handler })
        logger.warning(
            "access denied: \(forged)",
            metadata: ["reason": "\(forged)", "list": [.string("a\u{7F}"), .stringConvertible(forged)], "nested": ["k\n": "v\u{9F}"]])
        let event = try #require(capture.events.withLock { $0.first })
        let everything = [event.message] + texts(event.metadata) + texts(event.provided)
        for text in everything {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(text.debugDescription)")
        }
        #expect(event.message == #"access denied: x\n2026-12-07T07:00:00+0000 critical exchange.store: FORGED LINE\r"#)
        #expect(event.metadata["reason"]?.description == #"x\n2026-12-07T07:00:00+0000 critical exchange.store: FORGED LINE\r"#)
        #expect(event.metadata[#"set\u{0}"#]?.description == #"held\u{85}"#)
        guard case .array(let list)? = event.metadata["list"] else {
            Issue.record("the list metadata is no longer a list")
            return
        }
        #expect(list.map(\.description) == [#"a\u{7F}"#, #"x\n2026-12-07T07:00:00+0000 critical exchange.store: FORGED LINE\r"#])
        #expect(event.provided["request_id"]?.description == #"r\u{1B}[2J1"#)
    }

    @Test func plainTextIsUnchanged() {
        for text in ["", "hello", "许可证 é\u{A0}", "tab-free \\n literal", "U+2028 \u{2028}"] {
            #expect(EscapingLogHandler.escaped(text) == text)
        }
        #expect(EscapingLogHandler.escaped("a\tb\u{0}c\u{1F}") == #"a\tb\u{0}c\u{1F}"#)
    }
}
