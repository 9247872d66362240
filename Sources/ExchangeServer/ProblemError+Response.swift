public import ExchangeWire
public import HTTPTypes
public import Hummingbird
import NIOCore

extension ProblemError {
    /// The complete response for a request to `instance`.
    /// - Parameter instance: the request path.
    public func response(instance: String?) -> Response {
        var fields = headers
        fields[.contentType] = ProblemError.mediaType
        let body = document(instance: instance)
        fields[.contentLength] = String(body.count)
        return Response(status: code.status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension ProblemError: HTTPResponseError {
    /// The HTTP status of the code.
    public var status: HTTPResponse.Status { code.status }

    /// The problem response for `request`; used when no problem middleware wraps the responder.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(instance: request.uri.path)
    }
}
