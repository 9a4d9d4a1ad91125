import LeadData
import Testing

/// `TerminalText.visible`: what a value from data looks like on a terminal.
@Suite struct TerminalTextTests {
    /// No character a terminal would act on is left in `s`.
    static func hasControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { TerminalText.isControl($0) }
    }

    @Test(arguments: [
        ("\u{1B}", "\\x1b"), ("\u{07}", "\\x07"), ("\u{00}", "\\x00"), ("\u{08}", "\\x08"), ("\u{7F}", "\\x7f"),
        ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\r\n", "\\r\\n"),
        ("\u{9B}", "\\u{9b}"), ("\u{80}", "\\u{80}"), ("\u{85}", "\\u{85}"), ("\u{9F}", "\\u{9f}"),
        ("\u{202A}", "\\u{202a}"), ("\u{202E}", "\\u{202e}"), ("\u{2066}", "\\u{2066}"), ("\u{2069}", "\\u{2069}"),
    ])
    func eachControlIsShownAsAnEscape(control: String, shown: String) {
        #expect(TerminalText.visible(control) == shown)
        #expect(TerminalText.visible("a" + control + "b") == "a" + shown + "b")
    }

    @Test func everyControlScalarIsEscapedAndNothingElse() {
        for v in Array(0x00...0xA0) + Array(0x2028...0x206A) {
            let u = Unicode.Scalar(v)!
            let shown = TerminalText.visible(String(Character(u)))
            let isControl = v <= 0x1F || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            #expect(Self.hasControl(shown) == false, "U+\(String(v, radix: 16))")
            #expect((shown != String(Character(u))) == isControl, "U+\(String(v, radix: 16))")
        }
    }

    @Test func escapeInTheMiddleAndOSCSequences() {
        #expect(TerminalText.visible("ab\u{1B}[31mred\u{1B}[0m") == "ab\\x1b[31mred\\x1b[0m")
        #expect(TerminalText.visible("\u{1B}]0;pwned\u{07}") == "\\x1b]0;pwned\\x07")
        #expect(TerminalText.visible("\u{1B}]8;;http://x\u{1B}\\link\u{1B}]8;;\u{1B}\\") == "\\x1b]8;;http://x\\x1b\\link\\x1b]8;;\\x1b\\")
        #expect(TerminalText.visible("\u{202E}txt.exe") == "\\u{202e}txt.exe")
    }

    @Test func plainTextIsUnchanged() {
        for s in ["", "industry=retail", "Straße 東京 👨‍👩‍👧 é", "a\\x1b", "-0.27", "=1+1"] {
            #expect(TerminalText.visible(s) == s)
            #expect(TerminalText.visible(s, limit: 60) == s)
        }
    }

    @Test func visibleIsIdempotent() {
        let s = "x\u{1B}]0;t\u{07}\u{202E}y\u{9B}z" + String(repeating: "é", count: 80)
        #expect(TerminalText.visible(TerminalText.visible(s)) == TerminalText.visible(s))
        #expect(TerminalText.visible(TerminalText.visible(s, limit: 30), limit: 30) == TerminalText.visible(s, limit: 30))
    }

    @Test func shorteningKeepsAtMostLimitCharactersWithAnEllipsis() {
        let s = String(repeating: "a", count: 100)
        #expect(TerminalText.visible(s, limit: 10) == "aaaaaaaaa…")
        #expect(TerminalText.visible(String(repeating: "a", count: 10), limit: 10) == "aaaaaaaaaa")
        #expect(TerminalText.visible(String(repeating: "a", count: 11), limit: 10) == "aaaaaaaaa…")
        #expect(TerminalText.visible(s, limit: 10, whenShortened: " (100 bytes)") == "aaaaaaaaa… (100 bytes)")
        #expect(TerminalText.visible("abc", limit: 10, whenShortened: " (never)") == "abc")
    }

    /// The escape is longer than the room left before the cut: it is dropped whole, never cut to `\x`.
    @Test func anEscapeNearTheCutIsNeverCut() {
        for before in 55...60 {
            let s = String(repeating: "a", count: before) + "\u{1B}[2J" + String(repeating: "b", count: 40)
            let shown = TerminalText.visible(s, limit: 61)
            #expect(shown.count <= 61)
            #expect(shown.hasSuffix("…"))
            #expect(!Self.hasControl(shown))
            let body = shown.dropLast()
            // Either the whole escape is there or none of it.
            if body.contains("\\") { #expect(body.contains("\\x1b"), "\(shown)") } else { #expect(body.allSatisfy { $0 == "a" }, "\(shown)") }
            #expect(!body.hasSuffix("\\") && !body.hasSuffix("\\x") && !body.hasSuffix("\\x1"), "\(shown)")
        }
        let s = String(repeating: "a", count: 57) + "\u{1B}" + "bbbb"
        #expect(TerminalText.visible(s, limit: 61) == String(repeating: "a", count: 57) + "…")
        #expect(TerminalText.visible(s, limit: 62) == String(repeating: "a", count: 57) + "\\x1b…")
    }

    /// Multi-byte characters and grapheme clusters at the cut are kept or dropped whole.
    @Test func multiByteCharactersAtTheCutStayWhole() {
        let family = "👨‍👩‍👧"       // one character, five scalars, 18 bytes
        let accent = "e\u{301}"     // one character, two scalars
        let s = String(repeating: "a", count: 8) + family + accent + "🇫🇷" + "東京"
        #expect(TerminalText.visible(s, limit: 10) == String(repeating: "a", count: 8) + family + "…")
        #expect(TerminalText.visible(s, limit: 11) == String(repeating: "a", count: 8) + family + accent + "…")
        #expect(TerminalText.visible(s, limit: 12) == String(repeating: "a", count: 8) + family + accent + "🇫🇷" + "…")
        for limit in 1...14 {
            let shown = TerminalText.visible(s, limit: limit)
            #expect(shown.count <= limit)
            #expect(s.hasPrefix(String(shown.dropLast())) || shown == s, "limit \(limit): \(shown)")
        }
    }

    @Test func aHugeValueCostsOnlyItsPrefix() {
        let big = String(repeating: "\u{1B}", count: 1_000_000)
        let shown = TerminalText.visible(big, limit: 61, whenShortened: " (1000000 bytes)")
        #expect(shown == String(repeating: "\\x1b", count: 15) + "… (1000000 bytes)")
    }

    @Test func inputErrorsShowDataVisibly() {
        let plain = InputError(file: "Leads.csv", line: 4, column: 2, columnName: "TotalVisits", value: "many",
                               message: "text in a numeric column: expected a number")
        #expect(plain.description == "Leads.csv:4:2: text in a numeric column: expected a number (column 'TotalVisits', value \"many\")")
        let hostile = InputError(file: "a\u{1B}.csv", line: 2, column: 3, columnName: "col\u{1B}]0;pwned\u{07}",
                                 value: "v\u{9B}2J\u{202E}x", message: "the positive value '\u{1B}[2J' never occurs")
        let d = hostile.description
        #expect(!Self.hasControl(d), "\(d)")
        #expect(d == "a\\x1b.csv:2:3: the positive value '\\x1b[2J' never occurs (column 'col\\x1b]0;pwned\\x07', value \"v\\u{9b}2J\\u{202e}x\")")
        let long = InputError(file: "f", line: 1, columnName: String(repeating: "c", count: 100), value: String(repeating: "é", count: 1000), message: "m")
        #expect(long.description == "f:1: m (column '\(String(repeating: "c", count: 60))…', value \"\(String(repeating: "é", count: 60))… (2000 bytes)\")")
    }

    @Test func abbreviateKeepsItsShape() {
        #expect(InputError.abbreviate("line1\nline2\r") == "line1\\nline2\\r")
        #expect(InputError.abbreviate(String(repeating: "x", count: 61)) == String(repeating: "x", count: 61))
        #expect(InputError.abbreviate(String(repeating: "x", count: 62)) == String(repeating: "x", count: 60) + "… (62 bytes)")
    }
}
