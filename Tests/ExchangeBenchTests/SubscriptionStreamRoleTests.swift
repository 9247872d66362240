import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import exchange_bench

/// The latency mode's subscriber over a scripted server: the upgrade, credit, the stamps it
/// measures, the acks it owes, and how it ends.
@Suite struct SubscriptionStreamRoleTests {
    final class Outcome: Sendable {
        let result = Mutex<Result<SubscriptionStreamReader.Result, any Error>?>(nil)
        let ready = Mutex(false)
    }

    /// A connection running the role on an embedded channel, connected, its upgrade sent.
    static func connect(
        expected: Int, skipBelow: Int, outcome: Outcome, deadline: @escaping @Sendable () -> UInt64 = { .max },
        upgradeTimeout: TimeAmount = .seconds(30)
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let promise = channel.eventLoop.makePromise(of: SubscriptionStreamReader.Result.self)
        promise.futureResult.whenComplete { result in outcome.result.withLock { $0 = result } }
        let plan = SubscriptionStreamRole.Plan(
            name: "bench-s", expected: expected, skipBelow: skipBelow, deadline: deadline,
            ready: { outcome.ready.withLock { $0 = true } })
        try channel.pipeline.syncOperations.addHandler(
            WebSocketClientConnection(role: SubscriptionStreamRole(plan: plan, promise: promise), upgradeTimeout: upgradeTimeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait()
        return channel
    }

    /// A connection running the role on an embedded channel, upgraded as a server would.
    static func open(
        expected: Int, skipBelow: Int, outcome: Outcome, deadline: @escaping @Sendable () -> UInt64 = { .max }
    ) throws -> EmbeddedChannel {
        let channel = try connect(expected: expected, skipBelow: skipBelow, outcome: outcome, deadline: deadline)
        let request = String(buffer: try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(request.hasPrefix("GET /v1/subscriptions/bench-s/stream HTTP/1.1\r\n"))
        let keyLine = try #require(request.split(separator: "\r\n").first { $0.hasPrefix("Sec-WebSocket-Key: ") })
        let key = String(keyLine.dropFirst("Sec-WebSocket-Key: ".count))
        #expect(!outcome.ready.withLock { $0 }, "not ready before the upgrade is answered")
        try channel.writeInbound(
            ByteBuffer(
                string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(WebSocketFraming.accept(for: key))\r\n\r\n"))
        return channel
    }

    /// An unmasked frame from the server.
    static func serverFrame(_ text: String, opcode: UInt8 = WebSocketFraming.text) -> ByteBuffer {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        return ByteBuffer(bytes: [0x80 | opcode, UInt8(payload.count)] + payload)
    }

    /// The client's frames written so far, unmasked.
    static func clientFrames(_ channel: EmbeddedChannel) throws -> [WebSocketFraming.Frame] {
        var frames: [WebSocketFraming.Frame] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            while let frame = try WebSocketFraming.read(from: &buffer, maxPayload: 1 << 20) {
                #expect(frame.fin)
                frames.append(frame)
            }
            #expect(buffer.readableBytes == 0, "whole frames only")
        }
        return frames
    }

    @Test func grantsCreditMeasuresEventsAcksEachAndCloses() throws {
        let outcome = Outcome()
        let channel = try Self.open(expected: 3, skipBelow: 1, outcome: outcome)
        #expect(outcome.ready.withLock { $0 })
        let credit = try Self.clientFrames(channel)
        #expect(credit.map { String(buffer: $0.payload) } == [#"{"credit":3}"#])

        let stamp = monotonicNanoseconds() - 2_000_000
        for k in 0..<3 {
            try channel.writeInbound(Self.serverFrame(#"{"sequence":"\#(10 + k)","data":{"k":"\#(k)","t":"\#(stamp)"}}"#))
        }
        let frames = try Self.clientFrames(channel)
        let close = try #require(frames.last)
        #expect(close.opcode == WebSocketFraming.close, "the stream ends with a closing handshake")
        // Acks may come in more than one frame (every 5 ms); together they name every event once.
        let acked = frames.dropLast().flatMap { frame -> [Int] in
            let text = String(buffer: frame.payload)
            #expect(text.hasPrefix(#"{"ack":["#))
            return text.dropFirst(#"{"ack":["#.count).dropLast(2).split(separator: ",").compactMap { Int($0) }
        }
        #expect(acked == [10, 11, 12])

        let result = try #require(try outcome.result.withLock { $0 }?.get())
        #expect(result.received == 3)
        #expect(result.errors == 0)
        #expect(result.latencies.count == 2, "events below skipBelow are not measured")
        #expect(result.latencies.allSatisfy { $0 >= 2_000_000 }, "latency runs from the stamp in the data")
        _ = try? channel.finish()
    }

    @Test func anEventWithoutStampIsAnErrorAndAnEarlyCloseEndsTheRunWithWhatArrived() throws {
        let outcome = Outcome()
        let channel = try Self.open(expected: 5, skipBelow: 0, outcome: outcome)
        _ = try Self.clientFrames(channel)
        let problem = #"{"index":-1,"error":{"code":"subscription.not_found"}}"#
        try channel.writeInbound(Self.serverFrame(problem))
        #expect(outcome.result.withLock { $0 } == nil, "one bad frame does not end the run")
        try channel.writeInbound(ByteBuffer(bytes: [0x88, 0x02, 0x03, 0xE8]))
        let result = try #require(try outcome.result.withLock { $0 }?.get())
        #expect(result.received == 0)
        #expect(result.errors == 1)
        #expect(result.firstError?.hasPrefix(problem) == true, "the first bad frame comes first")
        #expect(result.firstError?.contains("1000") == true, "and how the stream ended follows it")
        _ = try? channel.finish()
    }

    @Test func aCloseBeforeTheUpgradeIsAnsweredFailsTheRun() throws {
        let outcome = Outcome()
        let channel = try Self.connect(expected: 1, skipBelow: 0, outcome: outcome)
        try channel.close().wait()
        let failure = try #require(outcome.result.withLock { $0 })
        #expect(throws: SubscriptionStreamReader.Failure.self) { try failure.get() }
        if case .failure(let error) = failure { #expect("\(error)".contains("closed the connection")) }
    }

    @Test func noAnswerToTheUpgradeFailsTheRunAfterItsTimeout() throws {
        let outcome = Outcome()
        let channel = try Self.connect(expected: 1, skipBelow: 0, outcome: outcome, upgradeTimeout: .seconds(5))
        // No answer to the upgrade: the connection gives up after its timeout.
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        let failure = try #require(outcome.result.withLock { $0 })
        #expect(throws: SubscriptionStreamReader.Failure.self) { try failure.get() }
        if case .failure(let error) = failure { #expect("\(error)".contains("did not answer the upgrade")) }
        _ = try? channel.finish()
    }

    @Test func acksGoInBatchesOfAtMost256AndNameEveryEventOnce() throws {
        let outcome = Outcome()
        let channel = try Self.open(expected: 300, skipBelow: 0, outcome: outcome)
        _ = try Self.clientFrames(channel)
        let stamp = monotonicNanoseconds()
        var acked: [Int] = []
        var ackFrames = 0
        for k in 0..<300 {
            try channel.writeInbound(Self.serverFrame(#"{"sequence":"\#(1000 + k)","data":{"k":"\#(k)","t":"\#(stamp)"}}"#))
            for frame in try Self.clientFrames(channel) where frame.opcode == WebSocketFraming.text {
                let text = String(buffer: frame.payload)
                let sequences = text.dropFirst(#"{"ack":["#.count).dropLast(2).split(separator: ",").compactMap { Int($0) }
                #expect(sequences.count <= 256)
                acked += sequences
                ackFrames += 1
            }
        }
        #expect(acked == Array(1000..<1300))
        #expect(ackFrames >= 2, "300 events need at least two ack frames")
        #expect(try #require(try outcome.result.withLock { $0 }?.get()).received == 300)
        _ = try? channel.finish()
    }

    @Test func theDeadlineEndsTheRunWithWhatArrived() throws {
        let outcome = Outcome()
        let channel = try Self.open(expected: 10, skipBelow: 0, outcome: outcome, deadline: { 0 })
        _ = try Self.clientFrames(channel)
        #expect(outcome.result.withLock { $0 } == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(60))
        let result = try #require(try outcome.result.withLock { $0 }?.get())
        #expect(result.received == 0 && result.errors == 0)
        #expect(try Self.clientFrames(channel).last?.opcode == WebSocketFraming.close)
        _ = try? channel.finish()
    }
}
