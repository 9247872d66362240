import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// An HTTPS client of the exchange API: TLS from ``Connection``, the bearer token on every
/// request, problem documents turned into ``ClientFailure``.
final class ExchangeClient: Sendable {
    let http: HTTPClient
    let connection: Connection

    /// Connects nothing yet; builds the TLS configuration and the HTTP client.
    init(_ connection: Connection) throws {
        self.connection = connection
        var configuration = HTTPClient.Configuration()
        if connection.baseURL.lowercased().hasPrefix("https") {
            configuration.tlsConfiguration = try Self.tlsConfiguration(connection)
        }
        configuration.timeout = .init(connect: .seconds(5))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The TLS client configuration: the CA as the only trust root (when given) and the client
    /// certificate chain and key (when given).
    static func tlsConfiguration(_ connection: Connection) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = connection.caPath {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            }
            if let certificate = connection.certificatePath, let key = connection.privateKeyPath {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch {
            throw ClientFailure(connectionError: error, url: connection.baseURL, connection: connection)
        }
        return tls
    }

    /// Shuts the client down; call once when done.
    func shutdown() async {
        try? await http.shutdown()
    }

    /// A request to `path` (starting with `/`) with the token and the given headers.
    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], contentType: String? = nil, body: [UInt8]? = nil)
        -> HTTPClientRequest
    {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        var request = HTTPClientRequest(url: connection.baseURL + (components.percentEncodedPath) + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        request.method = method
        if let token = connection.token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    /// Sends a request and collects the body (up to `limit` bytes); a status of 400 or more
    /// throws the problem it answered.
    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(60), limit: Int = 64 << 20) async throws -> (HTTPClientResponse, [UInt8]) {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw ClientFailure(connectionError: error, url: connection.baseURL, connection: connection)
        }
        let body = Array(buffer: try await response.body.collect(upTo: limit))
        if response.status.code >= 400 {
            throw ClientFailure(status: response.status, body: body)
        }
        return (response, body)
    }

    /// Sends a request and decodes a JSON answer.
    func sendJSON<Answer: Decodable>(_ request: HTTPClientRequest, as type: Answer.Type, timeout: TimeAmount = .seconds(60)) async throws -> Answer {
        let (_, body) = try await send(request, timeout: timeout)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(body))
        } catch {
            throw ClientFailure(code: "client.unexpected_answer", detail: "unexpected answer from the exchange: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }
}
