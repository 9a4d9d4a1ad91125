import LeadModel
import LeadSupport

/// A fast reader for the common shape of a lead: one flat JSON object whose values are strings,
/// plain integers, true/false or null.
///
/// It only ever accepts what `JSONSerialization` reads to the same fields (so the fields, and the
/// scores, are byte for byte those of `score` on JSON Lines): anything else — another number
/// form (`5.0`, `1e3`, `-0`, more than 15 digits, whose text `JSONSerialization` rewrites), an array
/// or object as a value, a key given twice, an escape it does not handle, invalid UTF-8, a syntax
/// error — makes it decline (nil), and the caller reads the input with `JSONSerialization`, which
/// gives the same fields or the same error as before. It saves the Foundation object graph on the
/// hot path of `/v1/score`.
struct FlatJSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var i: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int = 0) {
        self.bytes = bytes
        i = start
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    /// The object at the cursor as fields (true/false as yes/no, null as ""), the cursor after its
    /// `}`; nil to decline.
    mutating func object() -> [String: String]? {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var fields: [String: String] = [:]
        fields.reserveCapacity(16)
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return fields }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            guard i < bytes.count, let value = scalar() else { return nil }
            guard fields.updateValue(value, forKey: key) == nil else { return nil }  // a key twice
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return fields }
            return nil
        }
    }

    /// A string, a plain integer, true, false or null, as field text.
    private mutating func scalar() -> String? {
        switch bytes[i] {
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true", "yes")
        case UInt8(ascii: "f"): return literal("false", "no")
        case UInt8(ascii: "n"): return literal("null", "")
        default: return integer()
        }
    }

    private mutating func literal(_ word: StaticString, _ text: String) -> String? {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { return nil }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return nil }
        i += n
        return text
    }

    /// `0` or `-?[1-9][0-9]{0,14}`: the text `JSONSerialization`'s number gives back unchanged.
    private mutating func integer() -> String? {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        let digits = i - digitsStart
        guard digits >= 1, digits <= 15 else { return nil }
        if bytes[digitsStart] == 0x30 && (digits > 1 || digitsStart > start) { return nil }  // 01, -0
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    /// A JSON string with the escapes `\" \\ \/ \b \f \n \r \t` and `\uXXXX` outside the surrogates;
    /// valid UTF-8, no raw control character.
    private mutating func string() -> String? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        // The common case: no escape, taken as it is.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "\"") {
            let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            i += 1
            return text
        }
        guard bytes[i] == UInt8(ascii: "\\") else { return nil }  // a raw control character
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(validating: out, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
            guard i + 1 < bytes.count else { return nil }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard i + 4 <= bytes.count else { return nil }
                var code: UInt32 = 0
                for k in 0..<4 {
                    let h = bytes[i + k]
                    let v: UInt8
                    switch h {
                    case 0x30...0x39: v = h - 0x30
                    case 0x41...0x46: v = h - 0x41 + 10
                    case 0x61...0x66: v = h - 0x61 + 10
                    default: return nil
                    }
                    code = code << 4 | UInt32(v)
                }
                guard !(0xD800...0xDFFF).contains(code), let scalar = Unicode.Scalar(code) else { return nil }
                i += 4
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                return nil
            }
        }
        return nil
    }
}

extension FlatJSONReader {
    /// The leads of a body read fast (one object, an array of objects, or JSON Lines), or nil for
    /// `JSONSerialization` to read it (then the same leads, or the error, come from there).
    static func leads(_ data: [UInt8]) -> (LeadBody.Shape, [LeadScorer.Lead])? {
        data.withUnsafeBufferPointer { body -> (LeadBody.Shape, [LeadScorer.Lead])? in
            var r = FlatJSONReader(body)
            r.skipSpace()
            guard r.i < body.count else { return nil }
            if body[r.i] == UInt8(ascii: "[") {
                r.i += 1
                var leads: [LeadScorer.Lead] = []
                r.skipSpace()
                if r.i < body.count, body[r.i] == UInt8(ascii: "]") { r.i += 1 } else {
                    while true {
                        guard let fields = r.object() else { return nil }
                        leads.append(LeadScorer.Lead(line: leads.count + 1, fields: fields))
                        r.skipSpace()
                        guard r.i < body.count else { return nil }
                        if body[r.i] == UInt8(ascii: ",") { r.i += 1; continue }
                        if body[r.i] == UInt8(ascii: "]") { r.i += 1; break }
                        return nil
                    }
                }
                r.skipSpace()
                return r.i == body.count ? (.array, leads) : nil
            }
            // One object (on one line or several), else JSON Lines.
            if let fields = r.object() {
                r.skipSpace()
                if r.i == body.count { return (.object, [LeadScorer.Lead(line: 1, fields: fields)]) }
            }
            return lines(body).map { (.lines, $0) }
        }
    }

    /// Below this many bytes JSON Lines are read on one thread (a second one costs more than it saves).
    static let parallelBytes = 1 << 16

    /// JSON Lines, every non-blank line one object numbered by its physical line; nil to decline.
    /// A large body is cut at the line end nearest its middle and the halves read on two threads
    /// at once (the second half's lines renumbered after the first's): the same leads, in order.
    static func lines(_ body: UnsafeBufferPointer<UInt8>) -> [LeadScorer.Lead]? {
        guard body.count >= parallelBytes, ScoringThreads.default > 1,
              let cut = body[(body.count / 2)...].firstIndex(of: 0x0A) else {
            return lines(body, from: 0, to: body.count)?.leads
        }
        // The body's buffer outlives both reads (this function waits for them).
        nonisolated(unsafe) let shared = body
        let halves = ParallelMap.run(2, threads: 2) { half in
            half == 0 ? lines(shared, from: 0, to: cut) : lines(shared, from: cut + 1, to: shared.count)
        }
        guard let first = halves[0], var second = halves[1] else { return nil }
        for k in second.leads.indices { second.leads[k].line += first.lineCount }
        return first.leads + second.leads
    }

    /// The objects of `body[from..<to]`, one per non-blank line, with the lines' count.
    static func lines(_ body: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> (leads: [LeadScorer.Lead], lineCount: Int)? {
        var leads: [LeadScorer.Lead] = []
        var line = 0
        var start = from
        while start < to {
            var end = start
            while end < to, body[end] != 0x0A { end += 1 }
            line += 1
            var l = FlatJSONReader(UnsafeBufferPointer(rebasing: body[start..<end]))
            l.skipSpace()
            if l.i < l.bytes.count {
                guard let fields = l.object() else { return nil }
                l.skipSpace()
                guard l.i == l.bytes.count else { return nil }
                leads.append(LeadScorer.Lead(line: line, fields: fields))
            }
            start = end + 1
        }
        return (leads, line)
    }
}
