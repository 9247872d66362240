import Crypto
import ExchangeWire
import Foundation
import NIOCore

/// RFC 6455 framing for a client: masked frames out, unmasked frames in.
struct WebSocketFraming {
    /// One frame received from the server.
    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: ByteBuffer
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// Masking keys, one per frame, from a strong entropy source (RFC 6455 section 10.3), drawn
    /// 16,384 at a time so that a frame costs no system call.
    private var masks: [UInt32] = []

    init() {}

    private mutating func nextMask() -> UInt32 {
        if masks.isEmpty {
            // Random bytes from BoringSSL's generator, as swift-crypto draws keys.
            let random = SymmetricKey(size: SymmetricKeySize(bitCount: 16_384 * 32))
            masks = random.withUnsafeBytes { raw in (0..<16_384).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
        }
        return masks.removeLast()
    }

    /// Appends a masked frame carrying `payload` to `out`.
    mutating func write(opcode: UInt8, payload: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        out.writeInteger(0x80 | opcode)
        let count = payload.count
        if count < 126 {
            out.writeInteger(UInt8(0x80 | count))
        } else if count <= 0xFFFF {
            out.writeInteger(UInt8(0x80 | 126))
            out.writeInteger(UInt16(count))
        } else {
            out.writeInteger(UInt8(0x80 | 127))
            out.writeInteger(UInt64(count))
        }
        let mask = nextMask()
        out.writeInteger(mask)
        let start = out.writerIndex - out.readerIndex
        out.writeBytes(payload)
        out.withUnsafeMutableReadableBytes { raw in
            WebSocketMask.apply(key: mask, to: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
    }

    /// Takes one whole frame from the front of `buffer`, or nil when more bytes are needed.
    static func read(from buffer: inout ByteBuffer, maxPayload: Int) throws -> Frame? {
        guard buffer.readableBytes >= 2,
            let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return nil }
        var headerLength = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            headerLength += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
            guard extended <= UInt64(maxPayload) else { throw Failure(description: "a frame of \(extended) bytes exceeds \(maxPayload)") }
            length = Int(extended)
            headerLength += 8
        }
        guard length <= maxPayload else { throw Failure(description: "a frame of \(length) bytes exceeds \(maxPayload)") }
        let masked = second & 0x80 != 0
        var mask: UInt32?
        if masked {
            guard let key = buffer.getInteger(at: buffer.readerIndex + headerLength, as: UInt32.self) else { return nil }
            mask = key
            headerLength += 4
        }
        guard buffer.readableBytes >= headerLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        var payload = buffer.readSlice(length: length)!
        if let mask {
            payload.withUnsafeMutableReadableBytes { WebSocketMask.apply(key: mask, to: $0) }
        }
        return Frame(fin: first & 0x80 != 0, opcode: first & 0x0F, payload: payload)
    }

    /// A fresh `Sec-WebSocket-Key` and the `Sec-WebSocket-Accept` the server must answer.
    static func handshakeKey() -> (key: String, accept: String) {
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = Data(nonce).base64EncodedString()
        return (key, accept(for: key))
    }

    /// The `Sec-WebSocket-Accept` that answers `key` (RFC 6455 section 4.2.2).
    static func accept(for key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }
}
