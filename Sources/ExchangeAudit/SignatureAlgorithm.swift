/// A signature algorithm for signed notes and checkpoints.
public enum SignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// Ed25519 (RFC 8032), signed-note signature type `0x01`: the C2SP default.
    case ed25519
    /// SM2 (GM/T 0003-2012) with SM3 and the GM/T 0009-2012 default distinguishing identifier
    /// `1234567812345678`; signed-note signature type `0xff` followed by the ASCII identifier
    /// `data-exchange/sm2-sm3`.
    case sm2

    /// The GM/T 0009-2012 default distinguishing identifier used for every SM2 signature.
    public static let sm2DistinguishingID: [UInt8] = Array("1234567812345678".utf8)

    /// The bytes that identify the signature type in a signed-note key ID and verifier key.
    public var noteSignatureType: [UInt8] {
        switch self {
        case .ed25519: [0x01]
        case .sm2: [0xff] + Array("data-exchange/sm2-sm3".utf8)
        }
    }

    /// The length of the raw public key: 32 bytes for Ed25519, 65 bytes (an uncompressed SEC 1
    /// point `0x04 || x || y`) for SM2.
    public var rawPublicKeyLength: Int {
        switch self {
        case .ed25519: 32
        case .sm2: 65
        }
    }

    /// The key type name in OpenSSL's provider namespace.
    var openSSLName: String {
        switch self {
        case .ed25519: "ED25519"
        case .sm2: "SM2"
        }
    }

    /// The digest named to `EVP_DigestSignInit_ex`: none for Ed25519 (it hashes internally), SM3 for SM2.
    var openSSLDigestName: String? {
        switch self {
        case .ed25519: nil
        case .sm2: "SM3"
        }
    }

    /// The DER SubjectPublicKeyInfo header that precedes the raw public key.
    var subjectPublicKeyInfoPrefix: [UInt8] {
        switch self {
        case .ed25519:
            // SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (33 bytes) }
            [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        case .sm2:
            // SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID 1.2.156.10197.1.301 } BIT STRING (66 bytes) }
            [
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
                0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00,
            ]
        }
    }
}
