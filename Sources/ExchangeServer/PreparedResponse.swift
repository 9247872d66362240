import ExchangeWire
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// A complete response held as bytes, to be written by a channel handler outside the router:
/// an answer the router computed for a refused WebSocket upgrade, or a problem for a request
/// the router never saw.
struct PreparedResponse: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    /// The problem document of `problem` at `instance`.
    init(problem: ProblemError, instance: String?) {
        var fields = problem.headers
        fields[.contentType] = ProblemError.mediaType
        self.status = problem.code.status
        self.headers = fields
        self.body = ByteBuffer(bytes: problem.document(instance: instance))
    }

    /// `response`, its body read whole.
    init(collecting response: Response) async throws {
        let collector = BodyCollector()
        try await response.body.write(collector)
        self.status = response.status
        self.headers = response.headers
        self.body = collector.buffer.buffer
    }

    /// The response head for HTTP/1.1, with the body's length and `Connection: close`.
    var head: HTTPResponseHead {
        var headers = HTTPHeaders()
        for field in self.headers where field.name != .contentLength && field.name != .connection && field.name != .transferEncoding {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        headers.replaceOrAdd(name: "connection", value: "close")
        return HTTPResponseHead(
            version: .http1_1, status: .init(statusCode: status.code, reasonPhrase: status.reasonPhrase), headers: headers)
    }
}

/// Gathers a response body written through `ResponseBodyWriter`.
private struct BodyCollector: ResponseBodyWriter {
    final class Buffer {
        var buffer = ByteBuffer()
    }

    let buffer = Buffer()

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
