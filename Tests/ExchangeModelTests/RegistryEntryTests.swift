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

    /// Applies actions in order from sequence 1.
    static func run(_ actions: [RegistryAction]) -> RegistryEntry? {
        var entry: RegistryEntry?
        for (offset, action) in actions.enumerated() {
            entry = RegistryEntry.applying(input(action, holder: "h\(offset)"), sequence: UInt64(offset + 1), to: entry)
        }
        return entry
    }

    @Test func lifecycle() throws {
        var entry = RegistryEntry.applying(Self.input(.issued), sequence: 10, to: nil)
        #expect(entry.storedStatus == .valid)
        #expect(entry.firstSequence == 10 && entry.lastSequence == 10 && entry.dataSequence == 10)
        #expect(entry.issuer == "msa" && entry.holder == "9131")
        entry = RegistryEntry.applying(Self.input(.amended, holder: "9132"), sequence: 11, to: entry)
        #expect(entry.storedStatus == .valid && entry.holder == "9132" && entry.dataSequence == 11)
        entry = RegistryEntry.applying(Self.input(.suspended, holder: "ignored"), sequence: 12, to: entry)
        #expect(entry.storedStatus == .suspended && entry.holder == "9132" && entry.dataSequence == 11)
        entry = RegistryEntry.applying(Self.input(.reinstated), sequence: 13, to: entry)
        #expect(entry.storedStatus == .valid)
        entry = RegistryEntry.applying(Self.input(.renewed, until: "2035-12-31"), sequence: 14, to: entry)
        #expect(entry.validUntil == "2035-12-31" && entry.dataSequence == 14)
        entry = RegistryEntry.applying(Self.input(.revoked), sequence: 15, to: entry)
        #expect(entry.storedStatus == .revoked)
        #expect(entry.firstSequence == 10 && entry.lastSequence == 15)
        #expect(entry.history.map(\.sequence) == [10, 11, 12, 13, 14, 15])
        #expect(entry.history.allSatisfy { $0.flag == nil })
        #expect(entry.flags.isEmpty)
    }

    @Test func outOfOrderAndContradictoryEventsAreFlaggedAndChangeNothing() {
        // An amendment before the issue: recorded, flagged, no data.
        var entry = RegistryEntry.applying(Self.input(.amended), sequence: 1, to: nil)
        #expect(entry.storedStatus == .notIssued)
        #expect(entry.dataSequence == 0 && entry.holder == nil)
        #expect(entry.history == [RegistryHistoryItem(sequence: 1, action: .amended, flag: .notIssued)])
        // The late issue applies.
        entry = RegistryEntry.applying(Self.input(.issued), sequence: 2, to: entry)
        #expect(entry.storedStatus == .valid && entry.dataSequence == 2 && entry.firstSequence == 1)
        // A second issue is contradictory.
        let before = entry
        entry = RegistryEntry.applying(Self.input(.issued, holder: "other"), sequence: 3, to: entry)
        #expect(entry.holder == before.holder && entry.dataSequence == 2)
        #expect(entry.history.last?.flag == .alreadyIssued)
        // Reinstating a valid licence has no effect.
        entry = RegistryEntry.applying(Self.input(.reinstated), sequence: 4, to: entry)
        #expect(entry.history.last?.flag == .noEffect && entry.storedStatus == .valid)
        // Nothing revives a revoked licence.
        entry = RegistryEntry.applying(Self.input(.revoked), sequence: 5, to: entry)
        for (offset, action) in [RegistryAction.issued, .reinstated, .amended, .renewed, .suspended, .revoked].enumerated() {
            entry = RegistryEntry.applying(Self.input(action, holder: "revived"), sequence: UInt64(6 + offset), to: entry)
            #expect(entry.storedStatus == .revoked)
            #expect(entry.history.last?.flag == .afterRevocation)
        }
        #expect(entry.holder == "9131" && entry.dataSequence == 2 && entry.lastSequence == 11)
        #expect(entry.flags == [.notIssued, .alreadyIssued, .noEffect, .afterRevocation])
        // An unknown type is flagged too.
        entry = RegistryEntry.applying(Self.input(.unknown), sequence: 12, to: entry)
        #expect(entry.history.last?.flag == .unknownType)
    }

    @Test func everyTransition() {
        #expect(Self.run([.issued, .suspended, .suspended])?.history.last?.flag == .noEffect)
        #expect(Self.run([.issued, .suspended, .revoked])?.storedStatus == .revoked)
        #expect(Self.run([.issued, .suspended, .amended])?.storedStatus == .suspended)
        #expect(Self.run([.issued, .suspended, .amended])?.holder == "h2")
        #expect(Self.run([.revoked])?.storedStatus == .notIssued)
        #expect(Self.run([.revoked, .issued])?.storedStatus == .valid)
        #expect(Self.run([.suspended, .issued, .reinstated])?.history.map(\.flag) == [.notIssued, nil, .noEffect])
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
        let entry = try #require(Self.run([.amended, .issued, .suspended, .reinstated, .issued, .revoked, .unknown]))
        #expect(RegistryEntry(encoded: entry.encoded()) == entry)
        let sparse = RegistryEntry(key: "ключ/1", storedStatus: .notIssued, firstSequence: 1, lastSequence: 1)
        #expect(RegistryEntry(encoded: sparse.encoded()) == sparse)
        #expect(RegistryEntry(encoded: Array(entry.encoded().dropLast())) == nil)
        #expect(RegistryEntry(encoded: [9] + entry.encoded().dropFirst()) == nil)
    }
}
