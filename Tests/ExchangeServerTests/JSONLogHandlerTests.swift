import ExchangeServer
import Foundation
import Logging
import Synchronization
import Testing

/// `log.format: json`: one parseable object per line, whatever the message holds, with the
/// request id of the request being served.
@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[[UInt8]]>([])
        var all: [[UInt8]] { lines.withLock { $0 } }
    }

    static func logger(_ lines: Lines, label: String = "exchange.test") -> Logger {
        Logger(label: label) { label in
            JSONLogHandler(label: label, metadataProvider: RequestID.metadataProvider) { line in lines.lines.withLock { $0.append(line) } }
        }
    }

    static func object(_ line: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
    }

    @Test func oneObjectPerLineWithEscapesAndNestedMetadata() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "service"] = "exchanged"
        logger.notice(
            "line one\nline \"two\"\t\\ \u{01} 中文",
            metadata: ["list": ["a", "b"], "object": ["k": "v"], "count": "\(3)", "service": "overridden"])
        let written = lines.all
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") }, "one line")
        let object = try Self.object(line)
        #expect(object["message"] as? String == "line one\nline \"two\"\t\\ \u{01} 中文")
        #expect(object["level"] as? String == "notice")
        #expect(object["logger"] as? String == "exchange.test")
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.hasSuffix("Z") && timestamp.count >= 20, "\(timestamp)")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["list"] as? [String] == ["a", "b"])
        #expect(metadata["object"] as? [String: String] == ["k": "v"])
        #expect(metadata["count"] as? String == "3")
        #expect(metadata["service"] as? String == "overridden")
        #expect(metadata["request_id"] == nil, "outside a request")
    }

    @Test func linesInsideARequestCarryItsID() async throws {
        let lines = Lines()
        let logger = Self.logger(lines)
        await RequestID.$current.withValue("req-1") {
            logger.info("inside")
            await Task.yield()
            logger.info("still inside")
        }
        logger.info("outside")
        let objects = try lines.all.map(Self.object)
        #expect(objects.map { ($0["metadata"] as? [String: Any])?["request_id"] as? String } == ["req-1", "req-1", nil])
    }

    @Test func requestIDsAreAcceptedWithinTheirLimits() {
        #expect(RequestID.accepting("abc-DEF_1.2:3") == "abc-DEF_1.2:3")
        let longest = String(repeating: "x", count: RequestID.maximumBytes)
        #expect(RequestID.accepting(longest) == longest)
        for bad in ["", longest + "x", "a b", "a\nb", "a;b", "中文", "a\u{0}"] {
            let replaced = RequestID.accepting(bad)
            #expect(replaced != bad)
            #expect(RequestID.isAcceptable(replaced) && replaced.utf8.count == 32)
        }
        #expect(RequestID.accepting(nil) != RequestID.accepting(nil), "a new id each time")
    }
}
