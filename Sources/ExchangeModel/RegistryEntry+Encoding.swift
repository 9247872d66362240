/// The stored form of a registry entry, little-endian and length-prefixed:
///
/// `version(1) status(1) dataSequence(8) firstSequence(8) lastSequence(8)`, then key, issuer,
/// holder, type, validFrom, validUntil as `length(4) bytes` (length `0xFFFFFFFF` for none), then
/// `count(4)` history items of `sequence(8) action(1) flag(1)`.
extension RegistryEntry {
    static let encodingVersion: UInt8 = 1
    private static let none = UInt32.max

    /// The entry's stored bytes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + key.utf8.count + (holder?.utf8.count ?? 0) + (type?.utf8.count ?? 0) + (issuer?.utf8.count ?? 0) + history.count * 10)
        bytes.append(Self.encodingVersion)
        bytes.append(storedStatus.code)
        Self.append(dataSequence, to: &bytes)
        Self.append(firstSequence, to: &bytes)
        Self.append(lastSequence, to: &bytes)
        for text in [key, issuer, holder, type, validFrom, validUntil] as [String?] {
            if let text {
                Self.append(UInt32(text.utf8.count), to: &bytes)
                bytes.append(contentsOf: text.utf8)
            } else {
                Self.append(Self.none, to: &bytes)
            }
        }
        Self.append(UInt32(history.count), to: &bytes)
        for item in history {
            Self.append(item.sequence, to: &bytes)
            bytes.append(item.action.code)
            bytes.append(item.flag?.code ?? 0)
        }
        return bytes
    }

    /// Decodes stored bytes; `nil` when they are not an entry of this version.
    public init?(encoded buffer: UnsafeRawBufferPointer) {
        var offset = 0
        func byte() -> UInt8? {
            guard offset < buffer.count else { return nil }
            defer { offset += 1 }
            return buffer[offset]
        }
        func u64() -> UInt64? {
            guard offset + 8 <= buffer.count else { return nil }
            defer { offset += 8 }
            return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        func u32() -> UInt32? {
            guard offset + 4 <= buffer.count else { return nil }
            defer { offset += 4 }
            return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        func text() -> String?? {
            guard let length = u32() else { return nil }
            if length == Self.none { return .some(nil) }
            guard offset + Int(length) <= buffer.count else { return nil }
            defer { offset += Int(length) }
            return .some(String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + Int(length)]), as: UTF8.self))
        }
        guard byte() == Self.encodingVersion, let statusCode = byte(), let status = RegistryStatus(code: statusCode),
            let dataSequence = u64(), let firstSequence = u64(), let lastSequence = u64(),
            let key = text(), let key, let issuer = text(), let holder = text(), let type = text(), let validFrom = text(),
            let validUntil = text(), let count = u32(), Int(count) * 10 <= buffer.count - offset
        else { return nil }
        var history: [RegistryHistoryItem] = []
        history.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let sequence = u64(), let actionCode = byte(), let action = RegistryAction(code: actionCode), let flagCode = byte() else {
                return nil
            }
            history.append(RegistryHistoryItem(sequence: sequence, action: action, flag: RegistryFlag(code: flagCode)))
        }
        self.init(
            key: key, storedStatus: status, issuer: issuer, holder: holder, type: type, validFrom: validFrom, validUntil: validUntil,
            dataSequence: dataSequence, firstSequence: firstSequence, lastSequence: lastSequence, history: history)
    }

    /// Decodes stored bytes; `nil` when they are not an entry of this version.
    public init?(encoded bytes: [UInt8]) {
        guard let entry = bytes.withUnsafeBytes({ RegistryEntry(encoded: $0) }) else { return nil }
        self = entry
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
