@testable import ExchangeConsole
import Foundation
import Testing

@Suite("Console messages and templates")
struct ConsoleMessagesTests {
    @Test func bothCataloguesHoldTheSameKeysWithText() {
        #expect(Set(ConsoleMessages.zhCN.keys) == Set(ConsoleMessages.en.keys))
        #expect(ConsoleMessages.zhCN.values.allSatisfy { !$0.isEmpty })
        #expect(ConsoleMessages.en.values.allSatisfy { !$0.isEmpty })
    }

    @Test func everyMessageATemplateUsesIsInTheCatalogues() throws {
        let pattern = try NSRegularExpression(pattern: #"\{\{t\.([a-z0-9_]+)\}\}"#)
        for (name, text) in ConsoleTemplates.all {
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let key = String(text[Range(match.range(at: 1), in: text)!])
                #expect(ConsoleMessages.zhCN[key] != nil, "template \(name) uses t.\(key)")
            }
        }
    }

    @Test func noTemplateWritesUnescapedValues() {
        for (name, text) in ConsoleTemplates.all {
            #expect(!text.contains("{{{") && !text.contains("{{&"), "template \(name)")
            // No inline script or style, which the Content-Security-Policy would block.
            #expect(!text.contains("<script>") && !text.contains("style="), "template \(name)")
        }
    }

    @Test func simplifiedChineseIsTheDefault() {
        #expect(ConsoleLanguage.chosen(query: nil, cookie: nil) == .zhCN)
        #expect(ConsoleLanguage.chosen(query: nil, cookie: "en") == .en)
        #expect(ConsoleLanguage.chosen(query: "zh-CN", cookie: "en") == .zhCN)
        #expect(ConsoleLanguage.chosen(query: "fr", cookie: "xx") == .zhCN)
    }

    @Test func dataIsRenderedAsText() {
        let renderer = ConsoleRenderer()
        let viewer = ConsoleViewer(session: nil, language: .en, path: "/console/audit")
        var context = viewer.base(title: "audit_title", current: .audit)
        context["rows"] = [
            ["index": "7", "time": "t", "kind": "published", "actor": "a\"b", "subject": "<script>alert(1)</script>", "topic": "x&y"]
        ]
        let html = renderer.render("audit", context)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("a&quot;b") && html.contains("x&amp;y"))
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
    }
}
