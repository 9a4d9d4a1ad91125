import LeadData

/// CSV text output helpers: quoting only when needed, fixed-point numbers without Foundation.
public enum CSVText {
    /// The header of an `--errors` file: one row per input row not used.
    public static let errorHeader = "line,column,message\n"

    /// One `--errors` row: the line, the column (its name when known), and the message with the
    /// offending value (abbreviated).
    public static func errorRow(_ e: InputError) -> String {
        let column = e.columnName ?? e.column.map(String.init) ?? ""
        var message = e.message
        if let v = e.value { message += " (value \"\(InputError.abbreviate(v))\")" }
        return "\(e.line.map(String.init) ?? ""),\(escape(column)),\(escape(message))\n"
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
