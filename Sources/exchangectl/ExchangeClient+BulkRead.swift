import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension ExchangeClient {
    /// The longest wait between two attempts of a bulk read, whatever `Retry-After` says.
    static let longestBulkReadWait = Duration.seconds(60)

    /// Starts a bulk read (`GET /v1/replay` and the auditor's NDJSON reads), trying again while
    /// the exchange answers 503 with `Retry-After` (its bulk-read slots are taken,
    /// `replay.busy`) or 429 (the principal reads faster than `audit.read_limit` allows,
    /// `reads.rate_limited`): at most `attempts` tries, waiting what `Retry-After` asks (1 s to
    /// ``longestBulkReadWait``; 5 s when it says nothing usable) and saying so on standard error
    /// before each wait. Any other answer of 400 or more, and the last 503 or 429, throw the problem
    /// they answered (`error: replay.busy: ...`).
    /// - Parameters:
    ///   - makeRequest: builds the request, once per attempt.
    ///   - attempts: the most tries, at least 1.
    ///   - wait: sleeps between attempts (a test may shorten it).
    /// - Returns: the response, its body not read yet.
    func startBulkRead(
        _ makeRequest: () -> HTTPClientRequest, attempts: Int,
        wait: (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws -> HTTPClientResponse {
        var attempt = 1
        while true {
            let response: HTTPClientResponse
            do {
                response = try await http.execute(makeRequest(), deadline: .distantFuture)
            } catch {
                throw ClientFailure(connectionError: error, url: connection.baseURL, connection: connection)
            }
            guard response.status.code >= 400 else { return response }
            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            let failure = ClientFailure(status: response.status, body: body)
            guard response.status == .serviceUnavailable || response.status == .tooManyRequests, attempt < attempts else { throw failure }
            let delay = Self.retryDelay(response.headers.first(name: "retry-after"))
            FileHandle.standardError.write(
                Data(
                    "exchangectl: \(failure.code): \(failure.detail); trying again in \(delay.components.seconds) s (attempt \(attempt + 1) of \(attempts))\n"
                        .utf8))
            try await wait(delay)
            attempt += 1
        }
    }

    /// The wait a `Retry-After` value asks for, in whole seconds, from 1 s to
    /// ``longestBulkReadWait``; 5 s when it is missing or not a number of seconds.
    static func retryDelay(_ header: String?) -> Duration {
        guard let header, let seconds = Int(header.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return .seconds(5) }
        return min(max(.seconds(seconds), .seconds(1)), longestBulkReadWait)
    }
}
