import ArgumentParser
import ExchangeAudit
import ExchangeWire
import Foundation
import NIOHTTP1

/// `exchangectl audit prove --index N`: an entry's inclusion proof, verified against the signed
/// checkpoint.
struct AuditProveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Fetch an entry with its inclusion proof and verify it against the latest signed checkpoint.",
        discussion: """
            Verifies the checkpoint with the pinned --verifier-key (one or more), hashes the entry, and checks the RFC 9162 \
            inclusion proof against the checkpoint's root. Prints the entry on success; a one-line error \
            and exit status 1 otherwise.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The entry index.")
    var index: UInt64

    @Option(help: "A pinned verifier key of the log (NAME+KEYID+BASE64), or a file of keys one a line; repeat it to pin several (a key rotation).")
    var verifierKey: [String] = []

    func run() async throws {
        try await reportingFailures {
            let verifier = try PinnedKeys(verifierKey)
            let client = try ExchangeClient(try connection.resolve())
            do {
                try await prove(client, verifier)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func prove(_ client: ExchangeClient, _ verifier: PinnedKeys) async throws {
        let line = try await client.sendJSON(client.request(.GET, "/v1/audit/checkpoint"), as: AuditCheckpointDocument.self)
        let checkpoint = try verifier.verify(line.checkpoint, what: "the checkpoint").checkpoint
        guard index < checkpoint.treeSize else {
            throw ClientFailure("entry \(index) is not covered by the latest checkpoint (size \(checkpoint.treeSize)) yet")
        }
        let page = try await client.sendJSON(
            client.request(.GET, "/v1/audit/entries", query: [("start", String(index)), ("end", String(index + 1))]),
            as: AuditEntriesPage.self)
        guard let entryLine = page.entries.first, entryLine.index == index else {
            throw ClientFailure("the exchange returned no entry \(index)")
        }
        let proof = try await client.sendJSON(
            client.request(
                .GET, "/v1/audit/proof/inclusion", query: [("index", String(index)), ("tree_size", String(checkpoint.treeSize))]),
            as: AuditProofDocument.self)
        let tree = checkpoint.merkleTree
        let entry = try entryLine.bytes()
        do {
            try tree.verifyInclusion(
                leafHash: tree.leafHash(entry), leafIndex: index, treeSize: checkpoint.treeSize, proof: try proof.digests(),
                root: checkpoint.rootHash)
        } catch {
            throw ClientFailure(code: "audit.mismatch", detail: "entry \(index) is not included in the checkpoint of size \(checkpoint.treeSize): \(error)")
        }
        print(String(decoding: entry, as: UTF8.self))
        print("entry \(index) is included in the checkpoint of size \(checkpoint.treeSize) (root \(checkpoint.rootHash.base64))")
    }
}
