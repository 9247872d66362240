import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads `descriptor` until end of file, calling `line` for each complete line. Uses `read(2)`
/// directly and retries when a signal interrupts it (`FileHandle.availableData` traps on EINTR).
/// - Parameters:
///   - descriptor: a pipe's read end, e.g. a child process's standard error.
///   - line: called with each line, without its newline.
public func readLines(from descriptor: Int32, _ line: (String) -> Void) {
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        pending.append(contentsOf: buffer[0..<count])
        while let newline = pending.firstIndex(of: 0x0A) {
            line(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
    }
}

/// Reads `descriptor` until end of file on a thread of its own and returns its complete lines,
/// joined by newlines. A blocking read must not run on the Swift concurrency pool: it has one
/// thread per core, and a child process that runs for seconds would hold them up for every
/// other test in the process.
/// - Parameter descriptor: a pipe's read end, e.g. a child process's standard output.
public func readAllLines(from descriptor: Int32) async -> String {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var lines: [String] = []
            readLines(from: descriptor) { lines.append($0) }
            continuation.resume(returning: lines.joined(separator: "\n"))
        }
    }
}
