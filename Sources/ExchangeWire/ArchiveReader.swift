import Foundation

/// Reads an archive directory that ``ArchiveWriter`` wrote: its topics, each topic's segments
/// in sequence order, and their lines.
public struct ArchiveReader: Sendable {
    /// The archive directory.
    public let directory: String

    /// One segment: its manifest and where its files are.
    public struct Segment: Sendable {
        /// The manifest as read.
        public var manifest: ArchiveManifest
        /// The manifest file.
        public var manifestPath: String
        /// The segment file.
        public var segmentPath: String
    }

    /// Opens `directory` for reading.
    public init(directory: String) { self.directory = directory }

    /// The topics the archive holds (its subdirectories), sorted.
    public func topics() throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ArchiveReadError(code: "archive.unreadable", detail: "\(directory): not a readable directory")
        }
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return ArchiveSegment.isDirectoryName(name) && FileManager.default.fileExists(atPath: "\(directory)/\(name)", isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    /// The segments of `topic`, oldest first.
    public func segments(topic: String) throws -> [Segment] {
        let folder = "\(directory)/\(topic)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ArchiveReadError(code: "archive.unreadable", detail: "\(folder): not a readable directory")
        }
        let manifests = names.compactMap { name in ArchiveSegment.range(ofManifest: name).map { (name, $0.first) } }.sorted { $0.1 < $1.1 }
        var segments: [Segment] = []
        for (name, _) in manifests {
            let path = "\(folder)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ArchiveReadError(code: "archive.unreadable", detail: "\(path): cannot read")
            }
            let manifest: ArchiveManifest
            do {
                manifest = try ArchiveManifest.decode(data)
            } catch {
                throw ArchiveReadError(code: "archive.malformed", detail: "\(path): not an archive manifest: \(error)")
            }
            guard manifest.format == ArchiveManifest.currentFormat else {
                throw ArchiveReadError(code: "archive.malformed", detail: "\(path): format \(manifest.format) is not \(ArchiveManifest.currentFormat)")
            }
            guard ArchiveSegment.isDirectoryName(manifest.segment.file) else {
                throw ArchiveReadError(code: "archive.malformed", detail: "\(path): segment file \(manifest.segment.file) is not a file name")
            }
            segments.append(Segment(manifest: manifest, manifestPath: path, segmentPath: "\(folder)/\(manifest.segment.file)"))
        }
        return segments
    }

    /// The bytes of a segment file and its lines (without their newlines).
    public func lines(of segment: Segment) throws -> (bytes: [UInt8], lines: [ArraySlice<UInt8>]) {
        guard let data = FileManager.default.contents(atPath: segment.segmentPath) else {
            throw ArchiveReadError(code: "archive.unreadable", detail: "\(segment.segmentPath): cannot read")
        }
        let bytes = Array(data)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return (bytes, lines)
    }
}

/// Why an archive could not be read or did not verify: a stable code and the detail.
public struct ArchiveReadError: Error, Sendable, CustomStringConvertible {
    /// The code, e.g. `archive.digest_mismatch`.
    public var code: String
    /// What was found, naming the file or event.
    public var detail: String

    public init(code: String, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
