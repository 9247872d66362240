import Foundation

/// An exclusive `flock(2)` on `exchange.lock` in the data directory, held while a store is open.
///
/// The store keeps state beside LMDB (the writer's sequence and audit counters, the recent
/// deduplication entries, the Merkle frontier, interned names) that assumes it is the only
/// writer. A second process opening the same directory, a second daemon or an offline
/// `exchangectl registry rebuild` while the daemon runs, is refused instead of corrupting that
/// state. The kernel releases the lock when the process ends, however it ends.
final class DirectoryLock: @unchecked Sendable {
    private var descriptor: Int32

    /// Takes the lock, or throws `store.open_failed` at once if another holder has it.
    init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("exchange.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(code: .openFailed, message: "cannot open \(path)", underlying: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
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
