import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

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

