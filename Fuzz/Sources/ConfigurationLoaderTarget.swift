import ExchangeRouting
import Foundation

/// `ConfigurationLoader`: `departments.yaml NUL topics.yaml NUL agreement.yaml`, loaded as a
/// configuration directory. The loader reads a directory, so the parts are written to a
/// temporary one, created once and rewritten for every input.
enum ConfigurationLoaderTarget {
    static let directory: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("exchange-fuzz-config-\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.createDirectory(atPath: path + "/agreements", withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ConfigurationLoaderTarget.directory) }
        return path
    }()

    static func run(_ input: FuzzInput) {
        let parts = input.parts(3)
        let files = ["departments.yaml", "topics.yaml", "agreements/agreement.yaml"]
        for (name, contents) in zip(files, parts) {
            FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(contents))
        }
        let loader = ConfigurationLoader(directory: directory)
        let first = loader.load()
        // A second load against the first result compares versions and reports changes.
        if let set = first.set {
            let second = loader.load(previous: set)
            require(second.set != nil, "the same files load once and are refused the second time")
        }
    }
}
