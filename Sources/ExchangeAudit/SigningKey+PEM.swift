import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SigningKey {
    /// Decodes an unencrypted PEM private key (PKCS#8 `PRIVATE KEY`, or the traditional form).
    ///
    /// - Parameters:
    ///   - pemRepresentation: The PEM text; an encrypted key is refused, never prompted for.
    public init(pemRepresentation: String) throws {
        OpenSSLErrorQueue.clear()
        let decoded = try MemoryBIO.read(pemRepresentation) { bio in
            PEM_read_bio_PrivateKey(bio, nil, refusePassword, nil)
        }
        guard let decoded else {
            throw AuditError.openSSL(.malformedKey, "the PEM text is not an unencrypted private key")
        }
        try self.init(key: EVPKey(taking: decoded))
    }

    /// The private key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// Treat the result as secret: never log it.
    public func pemRepresentation() throws -> String {
        try MemoryBIO.write("the private key") { bio in
            PEM_write_bio_PKCS8PrivateKey(bio, key.pointer, nil, nil, 0, nil, nil)
        }
    }

    /// Writes the private key as PKCS#8 PEM to a new file readable only by its owner (mode 0600).
    ///
    /// An existing file is never overwritten, so that a key cannot be replaced by accident.
    ///
    /// - Parameters:
    ///   - path: The file to create.
    public func writePEM(toFile path: String) throws {
        try KeyFile.create(path, mode: 0o600, contents: pemRepresentation())
    }

    /// Reads a PEM private key file.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    public init(pemFile path: String) throws {
        try self.init(pemRepresentation: KeyFile.read(path))
    }
}

extension PublicKey {
    /// Decodes a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// - Parameters:
    ///   - pemRepresentation: The PEM text.
    public init(pemRepresentation: String) throws {
        OpenSSLErrorQueue.clear()
        let decoded = try MemoryBIO.read(pemRepresentation) { bio in
            PEM_read_bio_PUBKEY(bio, nil, refusePassword, nil)
        }
        guard let decoded else {
            throw AuditError.openSSL(.malformedKey, "the PEM text is not a public key")
        }
        try self.init(key: EVPKey(taking: decoded))
    }

    /// The public key as PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    public func pemRepresentation() throws -> String {
        try MemoryBIO.write("the public key") { bio in
            PEM_write_bio_PUBKEY(bio, key.pointer)
        }
    }

    /// Writes the public key as PEM to a new file (mode 0644).
    ///
    /// - Parameters:
    ///   - path: The file to create; an existing file is not overwritten.
    public func writePEM(toFile path: String) throws {
        try KeyFile.create(path, mode: 0o644, contents: pemRepresentation())
    }

    /// Reads a PEM public key file.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    public init(pemFile path: String) throws {
        try self.init(pemRepresentation: KeyFile.read(path))
    }
}

/// `read(2)`, named apart from ``KeyFile/read(_:)``.
private func readFile(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `write(2)`, named apart from `KeyFile.write(_:to:mode:path:)`.
private func writeFile(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// Key files, created with their final permissions before any byte is written.
enum KeyFile {
    static func create(_ path: String, mode: mode_t, contents: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else {
            throw AuditError(.fileSystem, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        do {
            defer { close(descriptor) }
            try write(contents, to: descriptor, mode: mode, path: path)
        } catch {
            // Leave no partial key file behind: a retry would be refused by O_EXCL.
            unlink(path)
            throw error
        }
    }

    private static func write(_ contents: String, to descriptor: Int32, mode: mode_t, path: String) throws {
        // The umask may have removed bits; it can never have added any, but set the mode exactly.
        guard fchmod(descriptor, mode) == 0 else {
            throw AuditError(.fileSystem, "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
        var bytes = Array(contents.utf8)
        defer { bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { writeFile(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw AuditError(.fileSystem, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            throw AuditError(.fileSystem, "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func read(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AuditError(.fileSystem, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { readFile(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw AuditError(.fileSystem, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            guard contents.count <= 1 << 20 else {
                throw AuditError(.fileSystem, "\(path) is too large to be a key file")
            }
        }
        defer {
            contents.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            chunk.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
        }
        return String(decoding: contents, as: UTF8.self)
    }
}
