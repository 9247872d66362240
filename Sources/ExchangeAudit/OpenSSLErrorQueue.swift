import COpenSSL

/// Reads and clears OpenSSL's thread-local error queue.
enum OpenSSLErrorQueue {
    /// Drains the error queue and returns its entries joined by `; `, or `nil` when it is empty.
    static func drain() -> String? {
        var entries: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            buffer.withUnsafeMutableBufferPointer { ptr in
                ERR_error_string_n(code, ptr.baseAddress, ptr.count)
            }
            entries.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return entries.isEmpty ? nil : entries.joined(separator: "; ")
    }

    /// Clears the queue, so that a later failure reports only its own errors.
    static func clear() {
        ERR_clear_error()
    }
}

extension AuditError {
    /// An error for a failed OpenSSL call, carrying the drained OpenSSL error queue.
    ///
    /// - Parameters:
    ///   - code: The stable code to report.
    ///   - message: What was being done.
    static func openSSL(_ code: Code, _ message: String) -> AuditError {
        AuditError(code, message, openSSLError: OpenSSLErrorQueue.drain())
    }
}
