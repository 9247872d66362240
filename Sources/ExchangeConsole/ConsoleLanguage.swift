/// The language a console page is written in: Simplified Chinese unless the reader chose English.
public enum ConsoleLanguage: String, Sendable, CaseIterable {
    /// Simplified Chinese, the default.
    case zhCN = "zh-CN"
    /// English.
    case en

    /// The language a request asked for: the `lang` query parameter, else the `console_lang`
    /// cookie, else Simplified Chinese. Unknown values are ignored.
    /// - Parameters:
    ///   - query: the `lang` query parameter.
    ///   - cookie: the `console_lang` cookie.
    public static func chosen(query: String?, cookie: String?) -> ConsoleLanguage {
        query.flatMap(ConsoleLanguage.init(rawValue:)) ?? cookie.flatMap(ConsoleLanguage.init(rawValue:)) ?? .zhCN
    }

    /// The page's text in this language, by message key.
    public var messages: [String: String] {
        switch self {
        case .zhCN: ConsoleMessages.zhCN
        case .en: ConsoleMessages.en
        }
    }

    /// The other language, offered as a link on every page.
    public var other: ConsoleLanguage { self == .zhCN ? .en : .zhCN }
}

/// The console's message catalogues, one file per language (`ConsoleMessages+zhCN.swift`,
/// `ConsoleMessages+en.swift`); both hold the same keys (a test checks it).
public enum ConsoleMessages {}
