
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
        if bytes.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
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

    /// Appends the shortest text that reads back as exactly `x` (what `description` prints), through the
    /// standard library's float printer writing into a stack buffer: no String is allocated.
    @inline(__always)
    public static func appendShortest(_ x: Double, to out: inout [UInt8]) {
        var sink = ASCIISink(bytes: out)
        out = []
        x.write(to: &sink)
        out = sink.bytes
    }

    /// Appends `x` (already rounded to one decimal) as "42.0", without allocating.
    @inline(__always)
    public static func appendOneDecimal(_ x: Double, to out: inout [UInt8]) {
        guard abs(x) < 1e15 else {  // also catches inf and nan: never an integer conversion that traps
            out.append(contentsOf: (x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : String(x)).utf8)
            return
        }
        var tenths = Int((x * 10).rounded())
        if tenths < 0 { out.append(UInt8(ascii: "-")); tenths = -tenths }
        let whole = tenths / 10
        if whole >= 100 {
            out.append(contentsOf: String(whole).utf8)
        } else {
            if whole >= 10 { out.append(UInt8(48 + whole / 10)) }
            out.append(UInt8(48 + whole % 10))
        }
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + tenths % 10))
    }
}

/// A text stream that appends ASCII straight into a byte array. `_writeASCII` is the hook the
/// standard library's number printers call with their stack buffer.
struct ASCIISink: TextOutputStream {
    var bytes: [UInt8]

    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }
}
