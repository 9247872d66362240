import ExchangeStore
import Foundation
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

    /// A holder that lets go within a moment (a process being started holds a copy of the
    /// lock's descriptor until it runs its program) delays the open instead of failing it.
    @Test func aLockHeldForAMomentIsWaitedFor() throws {
        let directory = StoreDirectory()
        defer { directory.remove() }
        let first = try directory.open()
        first.close()
        // Another open file description of the same lock file, locked, stands in for it.
        let holder = open(directory.path + "/exchange.lock", O_RDWR | O_CLOEXEC)
        try #require(holder >= 0)
        try #require(flock(holder, LOCK_EX | LOCK_NB) == 0)
        let released = DispatchSemaphore(value: 0)
        // A thread of its own: the shared queues' threads may all be busy in other tests.
        Thread {
            usleep(50_000)
            close(holder)
            released.signal()
        }.start()
        let store = try directory.open()
        store.close()
        #expect(released.wait(timeout: .now() + 10) == .success)
    }
}
