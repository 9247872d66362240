import ExchangeWire
import Foundation

/// An audit export: a directory holding everything needed to verify the log offline.
///
/// | file | contents |
/// | --- | --- |
/// | `key.txt` | the log's C2SP verifier key (one line) |
/// | `key.pem` | the public key as PEM |
/// | `checkpoints.ndjson` | every kept checkpoint: `{"tree_size":N,"checkpoint":"<signed note>"}` |
/// | `entries.ndjson` | entries `0..<N` of the largest checkpoint: `{"index":I,"entry":"<base64>","leaf_hash":"<base64>"}` |
struct AuditBundle {
    let directory: String

    func path(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    /// The kept checkpoints.
    func checkpoints() throws -> [AuditCheckpointDocument] {
        var result: [AuditCheckpointDocument] = []
        try forEachLine("checkpoints.ndjson") { line in
            result.append(try JSONDecoder().decode(AuditCheckpointDocument.self, from: line))
            return true
        }
        guard !result.isEmpty else { throw ClientFailure("\(path("checkpoints.ndjson")): no checkpoint") }
        return result
    }

    /// Calls `body` with each entry in file order until it returns `false`.
    func forEachEntry(_ body: (AuditEntryDocument) throws -> Bool) throws {
        try forEachLine("entries.ndjson") { line in
            try body(try JSONDecoder().decode(AuditEntryDocument.self, from: line))
        }
    }

    /// Reads the file `name` a line at a time, in bounded memory.
    private func forEachLine(_ name: String, _ body: (Data) throws -> Bool) throws {
        let file = path(name)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ClientFailure("\(file): cannot open") }
        defer { try? handle.close() }
        var buffer = Data()
        var lineNumber = 0
        func emit(_ line: Data) throws -> Bool {
            lineNumber += 1
            guard !line.isEmpty else { return true }
            do {
                return try body(line)
            } catch let failure as ClientFailure {
                throw failure
            } catch {
                throw ClientFailure("\(file):\(lineNumber): not a valid line: \(error)")
            }
        }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                guard try emit(Data(line)) else { return }
                buffer.removeSubrange(buffer.startIndex...newline)
            }
        }
        _ = try emit(buffer)
    }
}
