import ExchangeStore
import Testing

@Suite struct DirectoryLockTests {
    /// One store at a time per data directory: a second opener (another daemon, an offline
    /// rebuild while the daemon runs) is refused, and the directory is free again after close.
    @Test func aSecondOpenerOfTheSameDirectoryIsRefusedUntilTheFirstCloses() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let first = try directory.open()
        do {
            let second = try directory.open()
            second.close()
            Issue.record("a second store opened a directory that is in use")
        } catch let error as StoreError {
            #expect(error.code == .openFailed)
            #expect(error.message.contains("open in another process"))
        }
        first.close()
        let again = try directory.open()
        again.close()
    }
}
