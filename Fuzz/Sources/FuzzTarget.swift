import Foundation

/// A parser under fuzzing, chosen by the `FUZZ_TARGET` environment variable.
///
/// Each target reads the whole input, parses it, and checks properties that must hold for any
/// input: no trap, and where there is a writer, that writing what was parsed and parsing it
/// again gives the same value. Inputs made of several parts (a schema and a document, headers
/// and a body) separate them with a NUL byte (``FuzzInput``).
enum FuzzTarget: String, CaseIterable {
    /// `CloudEvents.parse`: `headers NUL body`, headers as `name: value` lines; the
    /// `Content-Type` header picks structured, batch or binary mode.
    case cloudEvents = "cloudevents"
    /// `JSONValue.parse`, then serialize and parse again.
    case json
    /// `JSONScanner`: skips what `JSONValue.parse` reads, and reads strings the same.
    case jsonScanner = "json-scanner"
    /// `RFC3339.parse`, then format and parse again.
    case rfc3339
    /// `JSONSchema`: `schema NUL instance`.
    case jsonSchema = "json-schema"
    /// `ContentPattern`: `pattern NUL event`, the event a JSON object of attributes and `data`.
    case contentPattern = "content-pattern"
    /// `JSONPointer`: `pointer NUL document`.
    case jsonPointer = "json-pointer"
    /// `ExchangeConfiguration.parse(yaml:path:)`: the daemon's `exchange.yaml`.
    case exchangeConfiguration = "exchange-config"
    /// `ConfigurationLoader`: `departments.yaml NUL topics.yaml NUL agreement.yaml`.
    case configurationLoader = "config-loader"
    /// `SignedNote(parsing:)`, then serialize and parse again.
    case signedNote = "signed-note"
    /// `Checkpoint(text:)`, then write and parse again.
    case checkpoint
    /// The WebSocket and HTTP control messages: `SubscriptionRequest`, `SequencesRequest`,
    /// `StreamControl`.
    case controlMessages = "control-messages"

    /// The target `FUZZ_TARGET` names, read once.
    static let selected: FuzzTarget? = ProcessInfo.processInfo.environment["FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))

    /// Exits with a usage message when `FUZZ_TARGET` names no target.
    static func checkSelection() {
        guard selected == nil else { return }
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("exchange-fuzz: set FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }

    /// Runs one input through the target.
    func run(_ input: FuzzInput) {
        switch self {
        case .cloudEvents: CloudEventsTarget.run(input)
        case .json: JSONTarget.run(input)
        case .jsonScanner: JSONScannerTarget.run(input)
        case .rfc3339: RFC3339Target.run(input)
        case .jsonSchema: JSONSchemaTarget.run(input)
        case .contentPattern: ContentPatternTarget.run(input)
        case .jsonPointer: JSONPointerTarget.run(input)
        case .exchangeConfiguration: ExchangeConfigurationTarget.run(input)
        case .configurationLoader: ConfigurationLoaderTarget.run(input)
        case .signedNote: SignedNoteTarget.run(input)
        case .checkpoint: CheckpointTarget.run(input)
        case .controlMessages: ControlMessagesTarget.run(input)
        }
    }
}
