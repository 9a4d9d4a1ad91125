/// Text from data made safe to show on a terminal: the one place that decides how a value looks in
/// an error message, a note or a text report.
///
/// Control characters are shown as escapes instead of being written raw, so a value cannot move
/// the cursor, retitle the window (OSC), ring the bell or reorder the line (bidi overrides):
///
/// | characters | shown as |
/// | --- | --- |
/// | line feed, carriage return, tab | `\n`, `\r`, `\t` |
/// | other C0 controls U+0000–U+001F and DEL U+007F | `\x1b`, `\x07`, `\x7f` (two lowercase hex digits) |
/// | C1 controls U+0080–U+009F | `\u{9b}` |
/// | bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069 | `\u{202e}` |
///
/// Everything else (accents, CJK, emoji, a backslash) is shown as is; the escapes are for people, not
/// a reversible encoding, and applying `visible` twice gives the same text.
public enum TerminalText {
    /// `s` with its control characters made visible and, with a `limit`, shortened to at most
    /// `limit` characters (grapheme clusters), the last of them `…`, then `whenShortened` (which can
    /// say how long the value was). Shortening happens after escaping and by whole characters, so
    /// neither an escape like `\x1b` nor a multi-byte character is ever cut in half.
    public static func visible(_ s: String, limit: Int? = nil, whenShortened: @autoclosure () -> String = "") -> String {
        guard let limit else {
            var out = ""
            for ch in s { append(ch, to: &out) }
            return out
        }
        // Each piece is one character of `s` as shown; stop as soon as the shown text is too long,
        // so a 1 MB field costs only its first `limit` characters.
        var pieces: [String] = []
        var shown = 0
        var shortened = false
        for ch in s {
            var piece = ""
            append(ch, to: &piece)
            shown += piece.count
            pieces.append(piece)
            if shown > limit { shortened = true; break }
        }
        if !shortened { return pieces.joined() }
        var out = ""
        var kept = 0
        for piece in pieces {
            let n = piece.count
            if kept + n > limit - 1 { break }
            out += piece
            kept += n
        }
        return out + "…" + whenShortened()
    }

    /// True for the characters `visible` escapes.
    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    private static func append(_ ch: Character, to out: inout String) {
        // Controls are grapheme clusters of their own (CR LF being the one pair); a character with
        // no control in it is appended whole.
        guard ch.unicodeScalars.contains(where: isControl) else { out.append(ch); return }
        for u in ch.unicodeScalars {
            switch u.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00...0x1F, 0x7F: out += "\\x" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
            case _ where isControl(u): out += "\\u{" + String(u.value, radix: 16) + "}"
            default: out.unicodeScalars.append(u)
            }
        }
    }
}
