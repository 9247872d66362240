public import ExchangeIdentity

/// Who is looking at a console page, and in which language: what every page's header needs.
public struct ConsoleViewer: Sendable {
    /// The signed-in session, or `nil` on the sign-in page.
    public var session: ConsoleSession?
    /// The page's language.
    public var language: ConsoleLanguage
    /// The path of the page, for the language link.
    public var path: String

    /// Creates the viewer.
    public init(session: ConsoleSession?, language: ConsoleLanguage, path: String) {
        self.session = session
        self.language = language
        self.path = path
    }

    /// The pages a role may open, in navigation order: auditors read everything, admins run
    /// the exchange (no audit contents), departments see their own subscriptions and agreements.
    public static func pages(for role: Role) -> [ConsolePage] {
        switch role {
        case .auditor: [.overview, .agreements, .departments, .audit, .tracker]
        case .admin: [.overview, .agreements, .departments]
        case .department: [.agreements, .departments]
        case .portal, .operator: []
        }
    }

    /// Whether the viewer may open `page`.
    public func may(_ page: ConsolePage) -> Bool {
        guard let session else { return false }
        return Self.pages(for: session.principal.role).contains(page)
    }

    /// The values of the header and footer partials, with the page's title.
    func base(title key: String, current: ConsolePage?) -> [String: Any] {
        let messages = language.messages
        var context: [String: Any] = [
            "lang": language.rawValue, "t": messages, "title": messages[key] ?? key,
            "otherLang": language.other.rawValue, "languageHref": "\(path)?lang=\(language.other.rawValue)",
            "signedIn": session != nil,
        ]
        if let session {
            let role = session.principal.role
            context["actor"] = session.principal.actor
            context["roleName"] = messages["role_\(role.rawValue)"] ?? role.rawValue
            context["csrf"] = session.csrfToken
            context["nav"] = Self.pages(for: role).map { page -> [String: Any] in
                ["href": page.path, "label": messages[page.titleKey] ?? page.titleKey, "current": page == current]
            }
        }
        return context
    }
}

/// A console view.
public enum ConsolePage: String, Sendable, CaseIterable {
    case overview, agreements, departments, audit, tracker

    /// Its path under `/console`.
    public var path: String { "/console/\(rawValue)" }
    /// Its title's message key.
    var titleKey: String { "nav_\(rawValue)" }
}
