public import Foundation

/// Finds the package's executables (`exchanged`, `exchangectl`, `exchange-bench`) built beside
/// the test bundle, for tests that run them as child processes.
public enum BuiltExecutable {
    /// The executable was not built.
    public struct Missing: Error, CustomStringConvertible {
        /// The executable's name.
        public let name: String
        /// Where it was looked for.
        public let searched: [String]
        public var description: String {
            "\(name) was not built; run `swift build --build-tests` first (looked in \(searched))"
        }
    }

    /// The path of the executable `name` of this build.
    /// - Throws: `Missing` when it was not built.
    public static func locate(_ name: String) throws -> URL {
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(name))
            directory = directory.deletingLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/\(name)"))
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw Missing(name: name, searched: candidates.map(\.path))
    }
}
