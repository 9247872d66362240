import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Finds the `exchange-bench` executable built beside the test bundle.
enum CrashWorkerBinary {
    struct Missing: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "exchange-bench was not built; run `swift build --build-tests` first (looked in \(searched))" }
    }

    static func locate() throws -> URL {
        var candidates: [URL] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("exchange-bench"))
            directory = directory.deletingLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/exchange-bench"))
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw Missing(searched: candidates.map(\.path))
    }
}

/// A child process whose standard output is collected line by line on a background thread.
final class WorkerRun: Sendable {
    private let process: Process
    private let lines = Mutex<[String]>([])
    private let finished = DispatchSemaphore(value: 0)

    private init(process: Process) {
        self.process = process
    }

    static func start(_ executable: URL, arguments: [String]) throws -> WorkerRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        let run = WorkerRun(process: process)
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread {
            readLines(from: handle.fileDescriptor) { line in run.lines.withLock { $0.append(line) } }
            run.finished.signal()
        }
        return run
    }

    var isRunning: Bool { process.isRunning }

    var terminationSignal: Int32 {
        process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0
    }

    func lineCount() -> Int { lines.withLock { $0.count } }

    /// Sends SIGKILL to the child (only to the process this object started).
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the child to end and its output to be read; returns every complete line.
    func waitForExit() -> [String] {
        process.waitUntilExit()
        finished.wait()
        return lines.withLock { $0 }
    }
}

/// Reads `descriptor` until end of file, calling `line` for each complete line. Uses `read(2)`
/// directly and retries when a signal interrupts it (`FileHandle.availableData` traps on EINTR).
func readLines(from descriptor: Int32, _ line: (String) -> Void) {
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
