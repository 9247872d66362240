public import ExchangeIdentity

/// One signed-in console user: who, and the anti-forgery token every change must carry.
public struct ConsoleSession: Sendable, Hashable {
    /// The session id, the cookie's value: 256 random bits as 64 hex digits.
    public let id: String
    /// The session's CSRF token, 256 random bits as 64 hex digits, sent in every form.
    public let csrfToken: String
    /// Who signed in: an admin or auditor token, or a department by its certificate.
    public let principal: Principal
    /// When the session ends, on the monotonic clock.
    public let expires: ContinuousClock.Instant
    /// The SHA-256 fingerprint of the client certificate a department signed in with; every
    /// request of the session must present that certificate, unrevoked. `nil` for a token sign-in.
    public internal(set) var certificateFingerprint: String? = nil

    /// Whether `token` is this session's CSRF token, compared in constant time.
    /// - Parameter token: the token the request carried.
    public func acceptsCSRFToken(_ token: String?) -> Bool {
        guard let token else { return false }
        return ConsoleSecrets.constantTimeEquals(token, csrfToken)
    }
}

/// Random ids and their comparison.
public enum ConsoleSecrets {
    /// 32 bytes from the system's cryptographic generator, as 64 lowercase hex digits.
    public static func random256() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(64)
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// Whether two strings have the same bytes, in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
