import Foundation

/// An exclusive `flock(2)` on `exchange.lock` in the data directory, held while a store is open.
///
/// The store keeps state beside LMDB (the writer's sequence and audit counters, the recent
/// deduplication entries, the Merkle frontier, interned names) that assumes it is the only
/// writer. A second process opening the same directory, a second daemon or an offline
/// `exchangectl registry rebuild` while the daemon runs, is refused instead of corrupting that
/// state. The kernel releases the lock when the process ends, however it ends.
///
/// A lock found held is tried again for up to `contentionWait` before the open is refused: a
/// process that this one is starting holds a copy of every descriptor, the lock's included,
/// from the moment it is created until it runs its program (which closes them), so a store
/// closed and opened again while another thread starts a process may find its own lock held
/// for that moment.
final class DirectoryLock: @unchecked Sendable {
    private var descriptor: Int32

    /// How long a held lock is waited for before the open is refused. One second.
    static let contentionWait: Duration = .seconds(1)

    /// Takes the lock, or throws `store.open_failed` if another holder keeps it for
    /// `contentionWait`.
    init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("exchange.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(code: .openFailed, message: "cannot open \(path)", underlying: String(cString: strerror(errno)))
        }
        let clock = ContinuousClock()
        let deadline = clock.now + Self.contentionWait
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            if error == EWOULDBLOCK && clock.now < deadline {
                usleep(5_000)
                continue
            }
            close(descriptor)
            if error == EWOULDBLOCK {
                throw StoreError(
                    code: .openFailed,
                    message: "the store in \(directory) is open in another process (a running exchanged?); stop it first")
            }
            throw StoreError(code: .openFailed, message: "cannot lock \(path)", underlying: String(cString: strerror(error)))
        }
        self.descriptor = descriptor
    }

    /// Releases the lock; safe to call more than once.
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
