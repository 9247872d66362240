import NIOCore
import Testing

@testable import exchange_bench

/// The load client's own RFC 6455 framing and HTTP head scans: if they were wrong, the
/// publish modes would measure a conversation the daemon does not have.
@Suite struct WebSocketFramingTests {
    /// A byte-at-a-time XOR with the mask's bytes in network order, as RFC 6455 section 5.3 states it.
    static func naiveMask(_ bytes: [UInt8], _ mask: UInt32) -> [UInt8] {
        let key = withUnsafeBytes(of: mask.bigEndian) { Array($0) }
        return bytes.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    @Test(arguments: [0, 1, 7, 8, 9, 125, 126, 127, 1024, 65_535, 65_536, 70_001])
    func maskingMatchesTheDefinitionAndFramesRoundTrip(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var framing = WebSocketFraming()
        var out = ByteBuffer()
        payload.withUnsafeBytes { framing.write(opcode: WebSocketFraming.binary, payload: $0, into: &out) }
        let bytes = Array(out.readableBytesView)
        #expect(bytes[0] == 0x82)
        #expect(bytes[1] & 0x80 == 0x80, "client frames are masked")
        let header = length < 126 ? 2 : (length <= 0xFFFF ? 4 : 10)
        #expect(bytes.count == header + 4 + length)
        let mask = UInt32(bytes[header]) << 24 | UInt32(bytes[header + 1]) << 16 | UInt32(bytes[header + 2]) << 8 | UInt32(bytes[header + 3])
        #expect(Array(bytes[(header + 4)...]) == Self.naiveMask(payload, mask))

        // A reader given the frame one byte short waits; given all of it, unmasks it.
        var partial = ByteBuffer(bytes: bytes.dropLast())
        #expect(try WebSocketFraming.read(from: &partial, maxPayload: 1 << 20) == nil)
        var whole = out
        let frame = try #require(try WebSocketFraming.read(from: &whole, maxPayload: 1 << 20))
        #expect(frame.fin && frame.opcode == WebSocketFraming.binary)
        #expect(Array(frame.payload.readableBytesView) == payload)
        #expect(whole.readableBytes == 0)
    }

    @Test func unmaskedServerFramesAreReadInSequenceAndOversizedOnesRefused() throws {
        var buffer = ByteBuffer(bytes: [0x81, 0x03] + Array("a\nb".utf8) + [0x01, 0x02] + Array("cd".utf8))
        let first = try #require(try WebSocketFraming.read(from: &buffer, maxPayload: 16))
        #expect(first.fin && first.opcode == WebSocketFraming.text && String(buffer: first.payload) == "a\nb")
        let second = try #require(try WebSocketFraming.read(from: &buffer, maxPayload: 16))
        #expect(!second.fin && String(buffer: second.payload) == "cd")
        var large = ByteBuffer(bytes: [0x82, 126, 0x01, 0x00] + Array(repeating: 0, count: 256))
        #expect(throws: WebSocketFraming.Failure.self) { try WebSocketFraming.read(from: &large, maxPayload: 255) }
    }

    @Test func masksDifferFromFrameToFrame() {
        var framing = WebSocketFraming()
        var masks = Set<[UInt8]>()
        for _ in 0..<64 {
            var out = ByteBuffer()
            [UInt8](repeating: 0, count: 4).withUnsafeBytes { framing.write(opcode: WebSocketFraming.binary, payload: $0, into: &out) }
            masks.insert(Array(out.readableBytesView.dropFirst(2).prefix(4)))
        }
        #expect(masks.count == 64)
    }

    @Test func acceptKeyIsTheOneRFC6455Gives() {
        #expect(WebSocketFraming.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func responseHeadsAreScanned() {
        let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length:  42\r\nSec-WebSocket-Accept: abc=\r\n\r\nbody".utf8)
        head.withUnsafeBytes { raw in
            #expect(HTTPHeadScan.headEnd(in: raw) == head.count - 4)
            #expect(HTTPHeadScan.status(of: raw) == 200)
            #expect(HTTPHeadScan.contentLength(in: raw) == 42)
            #expect(HTTPHeadScan.value(of: "sec-websocket-accept", in: raw) == "abc=")
        }
        let incomplete = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n".utf8)
        incomplete.withUnsafeBytes { raw in
            #expect(HTTPHeadScan.headEnd(in: raw) == nil)
            #expect(HTTPHeadScan.contentLength(in: raw) == nil)
        }
    }

    @Test func endpointsComeFromBaseURLs() throws {
        #expect(try BenchChannel.endpoint(of: "https://127.0.0.1:8443") == ("127.0.0.1", 8443))
        #expect(try BenchChannel.endpoint(of: "wss://127.0.0.1:9000/v1/publish") == ("127.0.0.1", 9000))
    }
}
