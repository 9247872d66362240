/// The masking of WebSocket frames (RFC 6455 section 5.3): the payload XORed with a four-byte key
/// repeated from its first byte. Masking and unmasking are the same operation; the daemon unmasks
/// what clients send with it, and the load client masks its frames with it.
package enum WebSocketMask {
    /// XORs `bytes` with `key` repeated from the key's first byte, eight bytes at a time.
    /// - Parameters:
    ///   - key: the four key bytes as the frame carries them, read as a big-endian integer.
    ///   - bytes: the payload, masked or unmasked in place.
    package static func apply(key: UInt32, to bytes: UnsafeMutableRawBufferPointer) {
        // The key's bytes twice, in memory order.
        let half = UInt64(key.bigEndian)
        let wide = half | half << 32
        var offset = 0
        let count = bytes.count
        while offset + 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            bytes.storeBytes(of: word ^ wide, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        withUnsafeBytes(of: wide) { keyBytes in
            while offset < count {
                bytes[offset] ^= keyBytes[offset % 4]
                offset += 1
            }
        }
    }
}
