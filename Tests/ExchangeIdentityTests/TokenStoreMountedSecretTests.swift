import ExchangeIdentity
import Foundation
import TestSupport
import Testing

/// A tokens file mounted from a Kubernetes Secret: kubelet's atomic writer publishes
/// `tokens.json -> ..data/tokens.json` and `..data -> ..<timestamp>/`, and an update writes a new
/// timestamped directory and swaps `..data`; the `tokens.json` link itself never changes.
@Suite("Token store on a mounted Secret")
struct TokenStoreMountedSecretTests {
    /// Publishes `file` the way kubelet does: a new version directory, then `..data` swapped by rename.
    static func publish(_ file: TokenFile, version: Int, in directory: TemporaryDirectory) throws {
        let versionName = "..2026_12_07_00_00_0\(version).000000000"
        try FileManager.default.createDirectory(atPath: directory.file(versionName), withIntermediateDirectories: false)
        try file.save(path: directory.file(versionName + "/tokens.json"))
        let temporaryLink = directory.file("..data_tmp")
        try FileManager.default.createSymbolicLink(atPath: temporaryLink, withDestinationPath: versionName)
        #expect(rename(temporaryLink, directory.file("..data")) == 0)
        if !FileManager.default.fileExists(atPath: directory.file("tokens.json")) {
            try FileManager.default.createSymbolicLink(atPath: directory.file("tokens.json"), withDestinationPath: "..data/tokens.json")
        }
    }

    @Test("a Secret update (..data swapped, tokens.json link unchanged) is reloaded")
    func secretUpdateIsReloaded() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let first = try file.create(name: "admin", role: .admin)
        try Self.publish(file, version: 1, in: directory)
        let store = try TokenStore(path: directory.file("tokens.json"), reloadInterval: .zero)
        #expect(store.principal(forSecret: first) == .token(name: "admin", role: .admin))

        _ = file.revoke(name: "admin")
        let second = try file.create(name: "portal", role: .portal)
        try Self.publish(file, version: 2, in: directory)
        #expect(store.reloadIfChanged())
        #expect(store.principal(forSecret: first) == nil)
        #expect(store.principal(forSecret: second) == .token(name: "portal", role: .portal))
    }
}
