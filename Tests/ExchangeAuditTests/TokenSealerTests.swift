import ExchangeAudit
import Foundation
import Testing

@Suite struct TokenSealerTests {
    @Test func aSealedTokenOpensOnlyWithItsSealerAndUnchanged() throws {
        let sealer = TokenSealer()
        let position = Array("licences\u{0}SECRET-09999".utf8)
        let token = try sealer.seal(position)
        #expect(sealer.open(token) == position)
        // The position cannot be read from the token.
        #expect(!String(decoding: token, as: UTF8.self).contains("SECRET"))
        #expect(Data(token).range(of: Data("SECRET".utf8)) == nil)
        // Every changed bit, and every other sealer, is refused.
        for index in token.indices {
            var altered = token
            altered[index] ^= 0x01
            #expect(sealer.open(altered) == nil, "bit flipped at \(index) was accepted")
        }
        #expect(TokenSealer().open(token) == nil)
        #expect(sealer.open([]) == nil)
        #expect(sealer.open(Array(token.prefix(20))) == nil)
        // Two seals of the same position differ (fresh nonce), both open.
        let again = try sealer.seal(position)
        #expect(again != token)
        #expect(sealer.open(again) == position)
    }
}
