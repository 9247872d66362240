import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// TLS connections for the load modes: a NIO channel whose only handler above TLS is the
/// mode's own, so the client spends its CPU on bytes rather than on a general client's
/// machinery, and leaves the shared cores to the daemon being measured.
enum BenchChannel {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Host and port of an `https://` or `wss://` base URL such as `https://127.0.0.1:8443`.
    static func endpoint(of url: String) throws -> (host: String, port: Int) {
        guard let scheme = url.range(of: "://") else { throw Failure(description: "\(url) is not a URL") }
        var rest = url[scheme.upperBound...]
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else {
            return (String(rest), 443)
        }
        return (String(rest[..<colon]), port)
    }

    /// Opens a TLS connection to `url`'s host and port with `handler` above TLS. The TLS
    /// handshake completes before the handler's first write leaves (NIOSSL holds writes).
    static func connect(
        to url: String, tls: TLSConfiguration, handler: @escaping @Sendable () -> any ChannelHandler,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> any Channel {
        let (host, port) = try endpoint(of: url)
        let context = try NIOSSLContext(configuration: tls)
        return try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ssl = try NIOSSLClientHandler(context: context, serverHostname: "localhost")
                    try channel.pipeline.syncOperations.addHandler(ssl)
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
            .connect(host: host, port: port)
            .get()
    }
}

/// Scans of HTTP/1.1 response heads, as the load modes need them.
enum HTTPHeadScan {
    static let terminator: [UInt8] = Array("\r\n\r\n".utf8)

    /// The end of the head (the offset after its blank line) in `bytes`, or nil if incomplete.
    static func headEnd(in bytes: UnsafeRawBufferPointer) -> Int? {
        terminator.withUnsafeBytes { needle in FrameScan.find(needle, in: bytes).map { $0 + 4 } }
    }

    /// The status code of a head that starts `HTTP/1.1 NNN`.
    static func status(of head: UnsafeRawBufferPointer) -> Int? {
        guard head.count >= 12, head[8] == UInt8(ascii: " ") else { return nil }
        var code = 0
        for index in 9..<12 {
            let digit = head[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            code = code * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return code
    }

    /// The value of header `name` (lowercase) in `head`, without surrounding spaces.
    static func value(of name: String, in head: UnsafeRawBufferPointer) -> String? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name {
                return line[line.index(after: colon)...].trimmingPrefix(" ").split(separator: " ").joined(separator: " ")
            }
        }
        return nil
    }

    /// The `content-length` of `head`, scanned without building strings; nil when absent.
    static func contentLength(in head: UnsafeRawBufferPointer) -> Int? {
        let key = Array("\r\ncontent-length:".utf8)
        var index = 0
        let last = head.count - key.count
        while index <= last {
            var matched = 0
            while matched < key.count, asciiLower(head[index + matched]) == key[matched] { matched += 1 }
            if matched == key.count {
                var position = index + key.count
                while position < head.count, head[position] == UInt8(ascii: " ") { position += 1 }
                var length = 0
                var digits = 0
                while position < head.count, head[position] >= UInt8(ascii: "0"), head[position] <= UInt8(ascii: "9") {
                    length = length * 10 + Int(head[position] - UInt8(ascii: "0"))
                    position += 1
                    digits += 1
                }
                return digits > 0 ? length : nil
            }
            index += 1
        }
        return nil
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

extension ByteBuffer {
    /// Adds bytes read from the connection to those not yet consumed, taking the read buffer
    /// over whole when nothing is pending.
    mutating func gather(_ received: ByteBuffer) {
        if readableBytes == 0 {
            self = received
        } else {
            var received = received
            writeBuffer(&received)
        }
    }
}
