import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// How a run of one of the package's executables ended, and what it printed.
struct ExecutableRun {
    let status: Int32
    let output: String
    let errors: String

    /// Both streams, standard output first.
    var text: String { output + "\n" + errors }

    /// Runs the built executable `name` with `arguments` and waits for it to exit by itself,
    /// `seconds` at most (it is killed then, and the run fails).
    static func of(_ name: String, _ arguments: [String], seconds: Int = 60) async throws -> ExecutableRun {
        let process = Process()
        process.executableURL = try BuiltExecutable.locate(name)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        async let out = readAllLines(from: output.fileHandleForReading.fileDescriptor)
        async let err = readAllLines(from: errors.fileHandleForReading.fileDescriptor)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError("\(name) \(arguments.joined(separator: " ")) did not finish in \(seconds) s")
        }
        process.waitUntilExit()
        return ExecutableRun(status: process.terminationStatus, output: await out, errors: await err)
    }
}
