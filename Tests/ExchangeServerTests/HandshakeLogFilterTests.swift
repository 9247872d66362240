import ExchangeServer
import Logging
import Synchronization
import Testing

@Suite("Handshake log filter")
struct HandshakeLogFilterTests {
    final class Capture: Sendable {
        let lines = Mutex<[(Logger.Level, String)]>([])
        let metadata = Mutex<[Logger.Metadata]>([])
    }

    struct CaptureHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.lines.withLock { $0.append((event.level, event.message.description)) }
            capture.metadata.withLock { $0.append(event.metadata ?? [:]) }
        }
    }

    @Test func lowersOnlyTheRefusedHandshakeLine() {
        let capture = Capture()
        for level in [Logger.Level.info, .debug] {
            var base = Logger(label: "server", factory: { _ in CaptureHandler(capture: capture) })
            base.logLevel = level
            let logger = HandshakeLogFilter.wrapping(base)
            logger.error("Error handling upgrade result", metadata: ["error.type": "unknown ca"])
            logger.error("something else broke")
            logger.info("started")
        }
        let lines = capture.lines.withLock { $0 }
        #expect(lines.map(\.0) == [.error, .info, .debug, .error, .info])
        #expect(lines.map(\.1) == [
            "something else broke", "started", "Error handling upgrade result", "something else broke", "started",
        ])
    }

    @Test func metadataSetOnTheLoggerReachesEachLineWithoutTouchingTheBaseHandler() {
        let capture = Capture()
        let base = Logger(label: "server", factory: { _ in CaptureHandler(capture: capture) })
        var logger = HandshakeLogFilter.wrapping(base)
        logger[metadataKey: "hb.request.id"] = "r-1"
        logger[metadataKey: "actor"] = "tax-bureau"
        logger.info("request", metadata: ["actor": "line wins"])
        #expect(logger[metadataKey: "hb.request.id"] == "r-1")
        #expect(capture.metadata.withLock { $0 } == [["hb.request.id": "r-1", "actor": "line wins"]])
        #expect((logger.handler as? HandshakeLogFilter)?.base.metadata.isEmpty == true)
    }
}
