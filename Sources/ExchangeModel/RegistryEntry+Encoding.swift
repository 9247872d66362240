/// The stored form of a registry entry, little-endian and length-prefixed (version 2):
///
/// `version(1) status(1) dataSequence(8) firstSequence(8) lastSequence(8)`, then key, issuer,
/// holder, type, validFrom, validUntil as `length(4) bytes` (length `0xFFFFFFFF` for none), then
/// `historyCount(8) flagCount(1)` and one byte per flag. Its size depends on the entry's texts,
/// never on its history, whose items are stored one by one (``RegistryHistoryItem/encodedValue``).
///
/// Version 1 (stores of format 6 and before) ended instead with `count(4)` history items of
/// `sequence(8) action(1) flag(1)`: ``decodingInlineHistory(_:)`` reads it, to move the items out.
extension RegistryEntry {
    static let encodingVersion: UInt8 = 2
    /// The version that held the history inline.
    static let inlineHistoryVersion: UInt8 = 1
    private static let none = UInt32.max

    /// The entry's stored bytes.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            64 + key.utf8.count + (holder?.utf8.count ?? 0) + (type?.utf8.count ?? 0) + (issuer?.utf8.count ?? 0) + flags.count)
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
        Self.append(historyCount, to: &bytes)
        // Distinct by construction (``recording(_:sequence:to:)``); a repeat is left out.
        let distinct = flags.enumerated().filter { offset, flag in !flags[..<offset].contains(flag) }.map(\.element)
        bytes.append(UInt8(distinct.count))
        for flag in distinct { bytes.append(flag.code) }
        return bytes
    }

    /// Whether stored bytes are an entry of the version that held its history inline.
    public static func holdsInlineHistory(_ buffer: UnsafeRawBufferPointer) -> Bool {
        buffer.first == inlineHistoryVersion
    }

    /// Decodes stored bytes; `nil` when they are not an entry of this version.
    public init?(encoded buffer: UnsafeRawBufferPointer) {
        var reader = EntryReader(buffer)
        guard reader.byte() == Self.encodingVersion, var entry = reader.state(), let count = reader.u64(), let flagCount = reader.byte(),
            Int(flagCount) <= RegistryFlag.allCases.count
        else { return nil }
        for _ in 0..<flagCount {
            guard let code = reader.byte(), let flag = RegistryFlag(code: code), !entry.flags.contains(flag) else { return nil }
            entry.flags.append(flag)
        }
        guard reader.isAtEnd else { return nil }
        entry.historyCount = count
        self = entry
    }

    /// Decodes stored bytes; `nil` when they are not an entry of this version.
    public init?(encoded bytes: [UInt8]) {
        guard let entry = bytes.withUnsafeBytes({ RegistryEntry(encoded: $0) }) else { return nil }
        self = entry
    }

    /// Decodes an entry of the version that held its history inline (stores of format 6 and
    /// before): the entry, its flags and count derived from the items, and the items in log
    /// order. `nil` when the bytes are not such an entry.
    public static func decodingInlineHistory(_ buffer: UnsafeRawBufferPointer) -> (entry: RegistryEntry, history: [RegistryHistoryItem])? {
        var reader = EntryReader(buffer)
        guard reader.byte() == inlineHistoryVersion, var entry = reader.state(), let count = reader.u32(),
            Int(count) * 10 <= reader.remaining
        else { return nil }
        var history: [RegistryHistoryItem] = []
        history.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let sequence = reader.u64(), let actionCode = reader.byte(), let action = RegistryAction(code: actionCode),
                let flagCode = reader.byte()
            else { return nil }
            let flag = RegistryFlag(code: flagCode)
            if let flag, !entry.flags.contains(flag) { entry.flags.append(flag) }
            history.append(RegistryHistoryItem(sequence: sequence, action: action, flag: flag))
        }
        entry.historyCount = UInt64(count)
        return (entry, history)
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

extension RegistryHistoryItem {
    /// The stored value of a history item: `action(1) flag(1)` (flag 0: none). Its sequence is
    /// in its key.
    public var encodedValue: [UInt8] { [action.code, flag?.code ?? 0] }

    /// Decodes a stored value; `nil` when it is not one.
    public init?(sequence: UInt64, encodedValue buffer: UnsafeRawBufferPointer) {
        guard buffer.count == 2, let action = RegistryAction(code: buffer[0]) else { return nil }
        let flag = RegistryFlag(code: buffer[1])
        guard flag != nil || buffer[1] == 0 else { return nil }
        self.init(sequence: sequence, action: action, flag: flag)
    }
}

/// Reads the fields of a stored entry that every version shares.
private struct EntryReader {
    let buffer: UnsafeRawBufferPointer
    var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - offset }
    var isAtEnd: Bool { offset == buffer.count }

    mutating func byte() -> UInt8? {
        guard offset < buffer.count else { return nil }
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func u64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    mutating func text() -> String?? {
        guard let length = u32() else { return nil }
        if length == UInt32.max { return .some(nil) }
        guard Int(length) <= remaining else { return nil }
        defer { offset += Int(length) }
        return .some(String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + Int(length)]), as: UTF8.self))
    }

    /// The status, sequences and texts after the version byte.
    mutating func state() -> RegistryEntry? {
        guard let statusCode = byte(), let status = RegistryStatus(code: statusCode), let dataSequence = u64(), let firstSequence = u64(),
            let lastSequence = u64(), let key = text(), let key, let issuer = text(), let holder = text(), let type = text(),
            let validFrom = text(), let validUntil = text()
        else { return nil }
        return RegistryEntry(
            key: key, storedStatus: status, issuer: issuer, holder: holder, type: type, validFrom: validFrom, validUntil: validUntil,
            dataSequence: dataSequence, firstSequence: firstSequence, lastSequence: lastSequence)
    }
}
