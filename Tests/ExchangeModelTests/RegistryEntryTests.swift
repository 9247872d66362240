import ExchangeModel
import Testing

@Suite("Registry state machine")
struct RegistryEntryTests {
    static let collection = RegistryCollection(
        name: "licences", holder: try! JSONPointer("/holder/credit_code"), type: try! JSONPointer("/licence_type"),
        validFrom: try! JSONPointer("/valid_from"), validUntil: try! JSONPointer("/valid_until"))

    static func input(_ action: RegistryAction, key: String = "L-1", holder: String = "9131", until: String? = "2030-12-31") -> RegistryInput {
        RegistryInput(collection: "licences", key: key, action: action, issuer: "msa", holder: holder, type: "food", validFrom: "2026-01-01", validUntil: until)
    }

    /// An entry and the history items its events recorded, as the store keeps them.
    struct Trail {
        var entry: RegistryEntry?
        var history: [RegistryHistoryItem] = []

        /// Records one event; returns the entry after it.
        @discardableResult
        mutating func apply(_ input: RegistryInput, sequence: UInt64) -> RegistryEntry {
            let step = RegistryEntry.recording(input, sequence: sequence, to: entry)
            #expect(step.entry == RegistryEntry.applying(input, sequence: sequence, to: entry))
            entry = step.entry
            history.append(step.item)
            #expect(step.entry.historyCount == UInt64(history.count))
            return step.entry
        }
    }

    /// Applies actions in order from sequence 1.
    static func run(_ actions: [RegistryAction]) -> Trail {
        var trail = Trail()
        for (offset, action) in actions.enumerated() {
            trail.apply(input(action, holder: "h\(offset)"), sequence: UInt64(offset + 1))
        }
        return trail
    }

    @Test func lifecycle() throws {
        var trail = Trail()
        var entry = trail.apply(Self.input(.issued), sequence: 10)
        #expect(entry.storedStatus == .valid)
        #expect(entry.firstSequence == 10 && entry.lastSequence == 10 && entry.dataSequence == 10)
        #expect(entry.issuer == "msa" && entry.holder == "9131")
        entry = trail.apply(Self.input(.amended, holder: "9132"), sequence: 11)
        #expect(entry.storedStatus == .valid && entry.holder == "9132" && entry.dataSequence == 11)
        entry = trail.apply(Self.input(.suspended, holder: "ignored"), sequence: 12)
        #expect(entry.storedStatus == .suspended && entry.holder == "9132" && entry.dataSequence == 11)
        entry = trail.apply(Self.input(.reinstated), sequence: 13)
        #expect(entry.storedStatus == .valid)
        entry = trail.apply(Self.input(.renewed, until: "2035-12-31"), sequence: 14)
        #expect(entry.validUntil == "2035-12-31" && entry.dataSequence == 14)
        entry = trail.apply(Self.input(.revoked), sequence: 15)
        #expect(entry.storedStatus == .revoked)
        #expect(entry.firstSequence == 10 && entry.lastSequence == 15)
        #expect(trail.history.map(\.sequence) == [10, 11, 12, 13, 14, 15])
        #expect(trail.history.allSatisfy { $0.flag == nil })
        #expect(entry.flags.isEmpty)
    }

    @Test func outOfOrderAndContradictoryEventsAreFlaggedAndChangeNothing() {
        // An amendment before the issue: recorded, flagged, no data.
        var trail = Trail()
        var entry = trail.apply(Self.input(.amended), sequence: 1)
        #expect(entry.storedStatus == .notIssued)
        #expect(entry.dataSequence == 0 && entry.holder == nil)
        #expect(trail.history == [RegistryHistoryItem(sequence: 1, action: .amended, flag: .notIssued)])
        // The late issue applies.
        entry = trail.apply(Self.input(.issued), sequence: 2)
        #expect(entry.storedStatus == .valid && entry.dataSequence == 2 && entry.firstSequence == 1)
        // A second issue is contradictory.
        let before = entry
        entry = trail.apply(Self.input(.issued, holder: "other"), sequence: 3)
        #expect(entry.holder == before.holder && entry.dataSequence == 2)
        #expect(trail.history.last?.flag == .alreadyIssued)
        // Reinstating a valid licence has no effect.
        entry = trail.apply(Self.input(.reinstated), sequence: 4)
        #expect(trail.history.last?.flag == .noEffect && entry.storedStatus == .valid)
        // Nothing revives a revoked licence.
        entry = trail.apply(Self.input(.revoked), sequence: 5)
        for (offset, action) in [RegistryAction.issued, .reinstated, .amended, .renewed, .suspended, .revoked].enumerated() {
            entry = trail.apply(Self.input(action, holder: "revived"), sequence: UInt64(6 + offset))
            #expect(entry.storedStatus == .revoked)
            #expect(trail.history.last?.flag == .afterRevocation)
        }
        #expect(entry.holder == "9131" && entry.dataSequence == 2 && entry.lastSequence == 11)
        #expect(entry.flags == [.notIssued, .alreadyIssued, .noEffect, .afterRevocation])
        // An unknown type is flagged too.
        entry = trail.apply(Self.input(.unknown), sequence: 12)
        #expect(trail.history.last?.flag == .unknownType)
    }

    @Test func everyTransition() {
        #expect(Self.run([.issued, .suspended, .suspended]).history.last?.flag == .noEffect)
        #expect(Self.run([.issued, .suspended, .revoked]).entry?.storedStatus == .revoked)
        #expect(Self.run([.issued, .suspended, .amended]).entry?.storedStatus == .suspended)
        #expect(Self.run([.issued, .suspended, .amended]).entry?.holder == "h2")
        #expect(Self.run([.revoked]).entry?.storedStatus == .notIssued)
        #expect(Self.run([.revoked, .issued]).entry?.storedStatus == .valid)
        #expect(Self.run([.suspended, .issued, .reinstated]).history.map(\.flag) == [.notIssued, nil, .noEffect])
    }

    @Test func expiryIsDerivedOnTheDayOfTheQuery() {
        let entry = RegistryEntry.applying(Self.input(.issued, until: "2026-11-30"), sequence: 1, to: nil)
        #expect(entry.status(onDay: "2026-11-30") == .valid)
        #expect(entry.status(onDay: "2026-12-01") == .expired)
        let suspended = RegistryEntry.applying(Self.input(.suspended), sequence: 2, to: entry)
        #expect(suspended.status(onDay: "2027-01-01") == .suspended)
        let open = RegistryEntry.applying(Self.input(.issued, until: nil), sequence: 1, to: nil)
        #expect(open.status(onDay: "2999-01-01") == .valid)
    }

    @Test func actionFromTypeThenTopic() {
        #expect(RegistryAction(type: "gov.samr.licence.issued", topic: "x.y") == .issued)
        #expect(RegistryAction(type: "licence.changed", topic: "licence.business.amended") == .amended)
        #expect(RegistryAction(type: "revoked", topic: "licence.business.issued") == .revoked)
        #expect(RegistryAction(type: "licence.changed", topic: "licence.business.changed") == .unknown)
        #expect(RegistryAction(type: "licence.unknown", topic: "licence.business.unknown") == .unknown)
    }

    @Test func inputReadsTheDeclaredFields() throws {
        let data = #"{"licence_no":"L-9","holder":{"credit_code":"91310000MA1FL0001X"},"licence_type":"food","valid_from":"2026-01-01T00:00:00+08:00","valid_until":"2031-01-01"}"#
        let envelope = Envelope(id: "e", source: "msa", type: "licence.renewed", topic: "licence.business.renewed", subject: "L-9", data: Array(data.utf8))
        let input = try #require(RegistryInput(envelope, collection: Self.collection))
        #expect(input == RegistryInput(
            collection: "licences", key: "L-9", action: .renewed, issuer: "msa", holder: "91310000MA1FL0001X", type: "food",
            validFrom: "2026-01-01", validUntil: "2031-01-01"))
        var noSubject = envelope
        noSubject.subject = nil
        #expect(RegistryInput(noSubject, collection: Self.collection) == nil)
        var notJSON = envelope
        notJSON.data = Array("not json".utf8)
        let bare = try #require(RegistryInput(notJSON, collection: Self.collection))
        #expect(bare.holder == nil && bare.validUntil == nil && bare.action == .renewed)
    }

    @Test func encodingRoundTrips() throws {
        let entry = try #require(Self.run([.amended, .issued, .suspended, .reinstated, .issued, .revoked, .unknown]).entry)
        #expect(RegistryEntry(encoded: entry.encoded()) == entry)
        let sparse = RegistryEntry(key: "ключ/1", storedStatus: .notIssued, firstSequence: 1, lastSequence: 1)
        #expect(RegistryEntry(encoded: sparse.encoded()) == sparse)
        #expect(RegistryEntry(encoded: Array(entry.encoded().dropLast())) == nil)
        #expect(RegistryEntry(encoded: [9] + entry.encoded().dropFirst()) == nil)
    }

    /// The stored entry holds the state, the distinct flags and the history's length, never the
    /// history: its bytes are the same after 10 events and after 5,000.
    @Test func theEncodedEntryDoesNotGrowWithTheHistory() throws {
        var trail = Trail()
        trail.apply(Self.input(.issued), sequence: 1)
        var sizes: [Int: Int] = [:]
        for sequence in 2...5_000 as ClosedRange<UInt64> {
            trail.apply(Self.input(sequence % 2 == 0 ? .amended : .reinstated), sequence: sequence)
            if sequence == 10 || sequence == 5_000 { sizes[Int(sequence)] = try #require(trail.entry).encoded().count }
        }
        let entry = try #require(trail.entry)
        #expect(sizes[10] == sizes[5_000], "\(sizes)")
        #expect(entry.historyCount == 5_000 && entry.flags == [.noEffect])
        #expect(RegistryEntry(encoded: entry.encoded()) == entry)
    }

    /// An entry as a store of format 6 wrote it, history inline (version 1), is read with its
    /// history, and its flags and count derived from it; the current decoder refuses it.
    @Test func anEntryWithItsHistoryInlineIsRead() throws {
        let trail = Self.run([.amended, .issued, .suspended, .suspended, .revoked, .issued])
        let entry = try #require(trail.entry)
        var bytes: [UInt8] = [1, 3]  // version 1, revoked
        for value in [entry.dataSequence, entry.firstSequence, entry.lastSequence] { bytes += Self.littleEndian(value) }
        for text in [entry.key, entry.issuer, entry.holder, entry.type, entry.validFrom, entry.validUntil] as [String?] {
            if let text {
                bytes += Self.littleEndian(UInt32(text.utf8.count)) + Array(text.utf8)
            } else {
                bytes += [0xFF, 0xFF, 0xFF, 0xFF]
            }
        }
        bytes += Self.littleEndian(UInt32(trail.history.count))
        for item in trail.history { bytes += Self.littleEndian(item.sequence) + item.encodedValue }
        let decoded = try #require(bytes.withUnsafeBytes { RegistryEntry.decodingInlineHistory($0) })
        #expect(decoded.entry == entry)
        #expect(decoded.history == trail.history)
        #expect(bytes.withUnsafeBytes { RegistryEntry.holdsInlineHistory($0) })
        #expect(RegistryEntry(encoded: bytes) == nil)
        #expect(entry.encoded().withUnsafeBytes { RegistryEntry.decodingInlineHistory($0) } == nil)
        #expect(Array(bytes.dropLast()).withUnsafeBytes { RegistryEntry.decodingInlineHistory($0) } == nil)
        for item in trail.history {
            #expect(item.encodedValue.withUnsafeBytes { RegistryHistoryItem(sequence: item.sequence, encodedValue: $0) } == item)
        }
        #expect([UInt8]([0, 9]).withUnsafeBytes { RegistryHistoryItem(sequence: 1, encodedValue: $0) } == nil)
    }

    static func littleEndian<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
