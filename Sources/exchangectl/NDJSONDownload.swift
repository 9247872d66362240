import AsyncHTTPClient
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bulk read's NDJSON answer (`exchangectl replay`, `exchangectl audit replay`) written to a
/// file or standard output as it arrives, in bounded memory, with a progress line on standard
/// error: every half second when standard error is a terminal (rewritten in place) or with
/// `--progress` (one line each), and once more when the answer ended.
struct NDJSONDownload {
    /// The file the lines go to (created, or emptied); standard output when `nil`.
    let out: String?
    /// Whether to report progress even when standard error is not a terminal (`--progress`).
    let progress: Bool

    /// Streams `body` into the output.
    /// - Parameters:
    ///   - body: the answer's body, not read yet.
    ///   - write: writes one chunk of the body to the output (as it is, or merged with other
    ///     lines) and notes what the progress line counts.
    ///   - finish: writes what follows the last chunk, once the body ended.
    ///   - status: the progress line, without its line break.
    /// - Throws: ``ClientFailure`` when `out` cannot be created; what the body, `write` or
    ///   `finish` throw.
    func stream(
        _ body: HTTPClientResponse.Body, write: (ByteBuffer, FileHandle) throws -> Void, finish: (FileHandle) throws -> Void = { _ in },
        status: () -> String
    ) async throws {
        let output: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw ClientFailure("\(out): cannot create the file")
            }
            output = handle
        } else {
            output = FileHandle.standardOutput
        }
        defer { if out != nil { try? output.close() } }

        let terminal = isatty(STDERR_FILENO) == 1
        let report = progress || terminal
        let clock = ContinuousClock()
        var nextReport = clock.now + .milliseconds(500)
        for try await chunk in body {
            try write(chunk, output)
            if report && clock.now >= nextReport {
                nextReport = clock.now + .milliseconds(500)
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + status() : status() + "\n").utf8))
            }
        }
        try finish(output)
        if report {
            FileHandle.standardError.write(Data(((terminal ? "\r\u{1B}[K" : "") + status() + "\n").utf8))
        }
    }
}
