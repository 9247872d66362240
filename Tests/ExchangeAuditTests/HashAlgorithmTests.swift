import ExchangeAudit
import Testing

@Suite("Hash algorithms")
struct HashAlgorithmTests {
    @Test("SHA-256 known answers (FIPS 180-4 examples)")
    func sha256KnownAnswers() throws {
        #expect(try HashAlgorithm.sha256.digest([UInt8]()).hex
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try HashAlgorithm.sha256.digest("abc".utf8).hex
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("SM3 known answers (GM/T 0004-2012 examples 1 and 2)")
    func sm3KnownAnswers() throws {
        #expect(try HashAlgorithm.sm3.digest("abc".utf8).hex
            == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        let sixtyFour = Array(repeating: Array("abcd".utf8), count: 16).flatMap { $0 }
        #expect(try HashAlgorithm.sm3.digest(sixtyFour).hex
            == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    }

    @Test("Non-contiguous input hashes like its contiguous copy", arguments: HashAlgorithm.allCases)
    func nonContiguousInput(algorithm: HashAlgorithm) throws {
        let lazyBytes = (0..<1000).lazy.map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(try algorithm.digest(lazyBytes) == algorithm.digest(Array(lazyBytes)))
    }

    @Test("Digest hex and base64 round trip and reject bad input")
    func digestEncoding() throws {
        let digest = try HashAlgorithm.sha256.digest("abc".utf8)
        #expect(try Digest(hex: digest.hex) == digest)
        #expect(try Digest(hex: digest.hex.uppercased()) == digest)
        #expect(try Digest(base64: digest.base64) == digest)
        #expect(digest.base64 == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        #expect(throws: AuditError.self) { try Digest(hex: String(digest.hex.dropLast(2))) }
        #expect(throws: AuditError.self) { try Digest(hex: "zz" + digest.hex.dropFirst(2)) }
        #expect(throws: AuditError.self) { try Digest(base64: "AAAA") }
        #expect(throws: AuditError.self) { try Digest(bytes: [UInt8](repeating: 0, count: 31)) }
    }
}
