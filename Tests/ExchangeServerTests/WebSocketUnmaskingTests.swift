import NIOCore
import NIOWebSocket
import Testing

@testable import ExchangeServer

/// The daemon unmasks received frames itself; a wrong byte here would corrupt every event
/// published over WebSocket.
@Suite struct WebSocketUnmaskingTests {
    @Test(arguments: [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 1024, 1031])
    func unmaskingEqualsTheLibrarysDefinition(length: Int) {
        let key = WebSocketMaskingKey([0x9A, 0x03, 0xF7, 0x41])!
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
        var expected = ByteBuffer(bytes: payload)
        expected.webSocketUnmask(key)
        var ours = ByteBuffer(bytes: payload)
        ours.withUnsafeMutableReadableBytes { WebSocketUnmasking.unmask($0, key: key) }
        #expect(Array(ours.readableBytesView) == Array(expected.readableBytesView))
    }

    @Test func aMaskedFrameComesOutUnmaskedAndUnmarked() {
        let key = WebSocketMaskingKey([1, 2, 3, 4])!
        var data = ByteBuffer(string: #"{"specversion":"1.0"}"#)
        data.webSocketMask(key)
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: key, data: data)
        let processed = WebSocketUnmasking.unmasked(frame)
        #expect(processed.maskKey == nil)
        #expect(String(buffer: processed.data) == #"{"specversion":"1.0"}"#)
        #expect(String(buffer: processed.unmaskedData) == #"{"specversion":"1.0"}"#)
    }

    /// RFC 6455 section 5.1: a server closes the connection on a frame the client did not mask.
    @Test func anUnmaskedFrameFromTheClientIsRefused() throws {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: nil, data: ByteBuffer(string: #"{"credit":1}"#))
        #expect(throws: WebSocketUnmasking.UnmaskedFrameError.self) { try WebSocketUnmasking.received(frame) }
        let key = WebSocketMaskingKey([5, 6, 7, 8])!
        var data = ByteBuffer(string: #"{"credit":1}"#)
        data.webSocketMask(key)
        #expect(String(buffer: try WebSocketUnmasking.received(WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: data)).data) == #"{"credit":1}"#)
    }
}
