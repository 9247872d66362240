import ExchangeWire
import Logging
package import HummingbirdWebSocket
import NIOCore
package import NIOWebSocket

/// Unmasks received WebSocket frames a machine word at a time.
///
/// Every frame a client sends is masked (RFC 6455 section 5.3). The WebSocket library unmasks
/// each frame's data a byte at a time, which for 1 KiB events on the publish stream cost about
/// 1.5 µs of the daemon's CPU per event. Applied to every connection without negotiation (it
/// changes nothing on the wire), this extension unmasks first and hands the library frames with
/// no mask left to remove.
package struct WebSocketUnmasking: WebSocketExtension {
    package let name = "exchange-unmask"

    /// Unmasks a received data frame; refuses a frame the client sent without a mask, which
    /// RFC 6455 section 5.1 requires the server to answer by closing the connection.
    package func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        do {
            return try Self.received(frame)
        } catch {
            context.logger.debug("WebSocket stream closed 1002 (protocol error)", metadata: ["reason": "\(error)"])
            // The library closes with 1002 (protocol error) only for the protocol errors it
            // knows, and with 1011 (server error) for any other error of an extension: the
            // unmasked frame is handed back as one of those it knows.
            throw NIOWebSocketError.fragmentedControlFrame
        }
    }

    /// A received frame unmasked, or ``UnmaskedFrameError`` when the client did not mask it.
    static func received(_ frame: WebSocketFrame) throws(UnmaskedFrameError) -> WebSocketFrame {
        guard frame.maskKey != nil else { throw UnmaskedFrameError() }
        return unmasked(frame)
    }

    /// A client sent a frame without a mask.
    package struct UnmaskedFrameError: Error, CustomStringConvertible {
        package var description: String { "the client sent an unmasked frame (RFC 6455 section 5.1)" }
    }

    /// `frame` with its data unmasked and no mask key.
    static func unmasked(_ frame: WebSocketFrame) -> WebSocketFrame {
        guard let key = frame.maskKey else { return frame }
        // Extension data would share the mask's byte positions; leave such a frame to the library.
        guard frame.extensionData == nil else { return frame }
        var frame = frame
        frame.maskKey = nil
        frame.data.withUnsafeMutableReadableBytes { unmask($0, key: key) }
        return frame
    }

    package func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        frame
    }

    package func shutdown() async {}

    /// XORs `bytes` with `key` repeated from the key's first byte, as RFC 6455 section 5.3 defines
    /// (masking and unmasking are the same operation).
    static func unmask(_ bytes: UnsafeMutableRawBufferPointer, key: WebSocketMaskingKey) {
        unmask(bytes, key: UInt32(key[0]) << 24 | UInt32(key[1]) << 16 | UInt32(key[2]) << 8 | UInt32(key[3]))
    }

    /// The same with the key as the frame carries it: four bytes read as a big-endian integer.
    package static func unmask(_ bytes: UnsafeMutableRawBufferPointer, key: UInt32) {
        WebSocketMask.apply(key: key, to: bytes)
    }
}
