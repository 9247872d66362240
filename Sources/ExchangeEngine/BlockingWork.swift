import Foundation

/// Work that blocks its thread on the disk (a backup copy, an archive segment synced to disk)
/// runs on a dispatch queue, not on the Swift concurrency pool: that pool has one thread per
/// core, and requests and deliveries wait while one of them sits in `fsync`.
enum BlockingWork {
    /// Runs `body` on a global dispatch queue and returns what it returns or throws.
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }
}
