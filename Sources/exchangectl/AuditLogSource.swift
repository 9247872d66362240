import ExchangeAudit
import ExchangeWire
import Foundation
import NIOHTTP1

/// Where `audit verify` reads the log from: the exchange's auditor API or an export bundle.
enum AuditLogSource {
    case exchange(ExchangeClient)
    case bundle(AuditBundle)

    /// The checkpoints to verify against (signatures not yet checked), largest last.
    func checkpoints() async throws -> [AuditCheckpointDocument] {
        switch self {
        case .exchange(let client):
            return [try await client.sendJSON(client.request(.GET, "/v1/audit/checkpoint"), as: AuditCheckpointDocument.self)]
        case .bundle(let bundle):
            return try bundle.checkpoints().sorted { $0.treeSize < $1.treeSize }
        }
    }

    /// Calls `body` with every entry of `0..<count`, in order, page by page.
    /// - Returns: the size of the log as the exchange stated it with its last page (entries
    ///   beyond `count` included), or `nil` for a bundle or when no page was read.
    @discardableResult
    func entries(count: UInt64, progress: (UInt64) -> Void, _ body: (AuditEntryDocument) throws -> Void) async throws -> UInt64? {
        switch self {
        case .exchange(let client):
            var next: UInt64 = 0
            var logSize: UInt64?
            while next < count {
                let page = try await client.sendJSON(
                    client.request(.GET, "/v1/audit/entries", query: [("start", String(next)), ("end", String(count))]),
                    as: AuditEntriesPage.self)
                guard !page.entries.isEmpty else {
                    throw ClientFailure("the exchange returned no entries from index \(next); it holds \(page.treeSize)")
                }
                for line in page.entries {
                    try body(line)
                }
                next = page.entries.last!.index + 1
                logSize = page.treeSize
                progress(next)
            }
            return logSize
        case .bundle(let bundle):
            try bundle.forEachEntry { line in
                guard line.index < count else { return false }
                try body(line)
                if line.index % 10_000 == 9_999 { progress(line.index + 1) }
                return true
            }
            progress(count)
            return nil
        }
    }
}
