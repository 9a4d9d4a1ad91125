
/// CSV text output helpers: quoting only when needed, fixed-point numbers without Foundation.
public enum CSVText {
    /// The header of an `--errors` file: one row per input row not used.
    public static let errorHeader = "line,id,column,message\n"

    /// One `--errors` row: the line, the lead's id (empty when the file has no id column or the row's
    /// id cannot be read), the column (its name when known), and the message with the offending value
    /// (abbreviated). The file is for people: id, column and message are spreadsheet-safe.
    public static func errorRow(_ e: InputError) -> String {
        let column = e.columnName ?? e.column.map(String.init) ?? ""
        var message = e.message
        if let v = e.value { message += " (value \"\(InputError.abbreviate(v))\")" }
        return "\(e.line.map(String.init) ?? ""),\(spreadsheetCell(e.leadID ?? "")),\(spreadsheetCell(column)),\(spreadsheetCell(message))\n"
    }

    /// A CSV cell of text that comes from data or names (ids, levels, column and term names, reasons,
    /// messages quoting values) in a file people open in a spreadsheet, following OWASP's advice on
    /// CSV injection: text starting with `=`, `+`, `-`, `@`, a tab or a carriage return, which a
    /// spreadsheet would run as a formula, gets a leading `'` and is quoted (`"'=HYPERLINK(…)"`).
    /// Text that is a plain decimal number (`-0.27`, `+3`, `-1e5`) is a number to a spreadsheet,
    /// not a formula, and stays as it is; other text is escaped as usual (`escape`). Numbers the tool
    /// writes itself do not go through here, nor does `score`'s output, which stays byte-exact.
    public static func spreadsheetCell(_ s: String) -> String {
        guard let first = s.utf8.first,
              first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "@") || first == 9 || first == 13,
              !isPlainNumber(s) else { return escape(s) }
        return "\"'" + s.replacingAll("\"", with: "\"\"") + "\""
    }

    /// Optional sign, digits with an optional fraction, optional exponent: nothing a formula could hide in.
    static func isPlainNumber(_ s: String) -> Bool {
        var bytes = s.utf8[...]
        func digits() -> Int {
            let n = bytes.prefix(while: { $0 >= 48 && $0 <= 57 }).count
            bytes = bytes.dropFirst(n)
            return n
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") { bytes = bytes.dropFirst(); mantissa += digits() }
        guard mantissa > 0 else { return false }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    public static func escape(_ s: String) -> String {
        if s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
            return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if needsQuotes(bytes) {
            out.append(UInt8(ascii: "\""))
            for b in bytes {
                if b == UInt8(ascii: "\"") { out.append(b) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: bytes)
        }
    }

    /// True when a field holding `bytes` must be quoted (a delimiter, quote or line break in it):
    /// eight bytes at a time, each word tested for a zero byte after xor with each of the four
    /// (`(v − 0x01…01) & ~v & 0x80…80` is non-zero exactly when some byte of v is zero).
    @inline(__always)
    public static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = bytes.baseAddress else { return false }
        @inline(__always) func special(_ w: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
            return hasZero(w ^ (ones &* 0x2C)) || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x0A)) || hasZero(w ^ (ones &* 0x0D))
        }
        var i = 0
        while i &+ 8 <= bytes.count {
            if special(UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))) { return true }
            i &+= 8
        }
        while i < bytes.count {
            let b = p[i]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 10 || b == 13 { return true }
            i &+= 1
        }
        return false
    }

    // MARK: - Writing through a pointer
    //
    // `score` writes a row's fixed part into one stack buffer and appends that once: each append to
    // an array checks its uniqueness and capacity, about eight times a row. The `append…` functions
    // below write through these, so both give the same bytes.

    /// The most bytes `writeShortest` and `writeOneDecimal` write ("-2.2250738585072014e-308" is 24).
    public static let maximumNumberText = 32

    /// Writes `bytes` escaped as `appendEscaped` does at `p` (room for 2 × count + 2); returns the count written.
    @inline(__always)
    public static func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to p: UnsafeMutablePointer<UInt8>) -> Int {
        guard needsQuotes(bytes) else {
            if let source = bytes.baseAddress { p.update(from: source, count: bytes.count) }
            return bytes.count
        }
        var n = 0
        p[n] = UInt8(ascii: "\""); n += 1
        for b in bytes {
            if b == UInt8(ascii: "\"") { p[n] = b; n += 1 }
            p[n] = b; n += 1
        }
        p[n] = UInt8(ascii: "\""); n += 1
        return n
    }

    /// Writes the shortest text that reads back as exactly `x` (what `description` prints) at `p` (room
    /// for `maximumNumberText`; bytes past the count may be overwritten): most of [10⁻⁴, 1), where
    /// probabilities are, by `writeShortestFraction`, the rest through the standard library's float
    /// printer; returns the count written.
    @inline(__always)
    public static func writeShortest(_ x: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let count = writeShortestFraction(x, to: p)
        if count != 0 { return count }
        var sink = PointerSink(start: p)
        x.write(to: &sink)
        return sink.count
    }

    /// Writes a whole number in decimal, as `String(n)`, at `p` (room for 20 bytes); returns the count written.
    @inline(__always)
    public static func writeInteger(_ n: Int, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var m = n.magnitude
        var k = 0
        if n < 0 { p[0] = UInt8(ascii: "-"); k = 1 }
        var digits = 1
        var t = m / 10
        while t > 0 { digits += 1; t /= 10 }
        var at = k + digits
        repeat {
            at -= 1
            p[at] = UInt8(48 + m % 10)
            m /= 10
        } while m > 0
        return k + digits
    }

    /// Writes `x` (already rounded to one decimal) as "42.0" at `p` (room for `maximumNumberText`);
    /// returns the count written.
    @inline(__always)
    public static func writeOneDecimal(_ x: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        guard abs(x) < 1e15 else {  // also catches inf and nan: never an integer conversion that traps
            var text = x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : String(x)
            return text.withUTF8 { u in
                p.update(from: u.baseAddress!, count: u.count)
                return u.count
            }
        }
        var n = 0
        // Int((x * 10).rounded()) without the library call: truncate, then round the fraction half
        // away from zero. Below 1e16 the fraction v − t is exact (t ≤ v < t + 1 ≤ 2t, or t = 0).
        let v = x * 10
        var tenths = Int(v)
        let fraction = v - Double(tenths)
        if fraction >= 0.5 { tenths += 1 } else if fraction <= -0.5 { tenths -= 1 }
        if tenths < 0 { p[n] = UInt8(ascii: "-"); n += 1; tenths = -tenths }
        let whole = tenths / 10
        if whole >= 100 {
            n += writeInteger(whole, to: p + n)
        } else {
            if whole >= 10 { p[n] = UInt8(48 + whole / 10); n += 1 }
            p[n] = UInt8(48 + whole % 10); n += 1
        }
        p[n] = UInt8(ascii: "."); n += 1
        p[n] = UInt8(48 + tenths % 10); n += 1
        return n
    }

    /// Appends the shortest text that reads back as exactly `x` (what `description` prints): no String is allocated.
    @inline(__always)
    public static func appendShortest(_ x: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumNumberText) { b in
            out.append(contentsOf: UnsafeBufferPointer(start: b.baseAddress!, count: writeShortest(x, to: b.baseAddress!)))
        }
    }

    /// Appends `x` (already rounded to one decimal) as "42.0", without allocating.
    @inline(__always)
    public static func appendOneDecimal(_ x: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumNumberText) { b in
            out.append(contentsOf: UnsafeBufferPointer(start: b.baseAddress!, count: writeOneDecimal(x, to: b.baseAddress!)))
        }
    }
}

/// A text stream that writes ASCII through a pointer (room for `CSVText.maximumNumberText` bytes).
/// `_writeASCII` is the hook the standard library's number printers call with their stack buffer.
struct PointerSink: TextOutputStream {
    let start: UnsafeMutablePointer<UInt8>
    var count = 0

    init(start: UnsafeMutablePointer<UInt8>) { self.start = start }

    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { _writeASCII($0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        precondition(count + buffer.count <= CSVText.maximumNumberText, "a number's text is longer than CSVText.maximumNumberText")
        if let source = buffer.baseAddress { (start + count).update(from: source, count: buffer.count) }
        count += buffer.count
    }
}
