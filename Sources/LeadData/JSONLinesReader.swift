import Foundation

/// Anything that yields records: a CSV reader, or a JSON Lines reader that maps each object's keys
/// onto a fixed header.
public protocol RecordSource: AnyObject {
    var path: String { get }
    func next(into record: inout CSVRecord) throws(InputError) -> Bool
}

extension CSVReader: RecordSource {}

/// JSON Lines: one JSON object per line. Strings are taken as they are, numbers in their JSON text,
/// true/false as yes/no, null (or an absent key) as missing. Blank lines are skipped. A line that is
/// not a JSON object is an error naming the line.
public final class JSONLinesReader: RecordSource {
    public let path: String
    public let header: [String]
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    private var line = 0
    private var records = 0
    public private(set) var bytesConsumed = 0

    /// `header` is the list of keys to read (the model's columns and the id column).
    public init(path: String, header: [String]) throws(InputError) {
        self.path = path
        self.header = header
        source = try ByteSource(path: path)
    }

    public var sizeInBytes: Int? { source.sizeInBytes }

    /// The next line's bytes, without its line end; nil at end of input.
    private func nextLine() throws(InputError) -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let lineBytes = buffer[position..<nl]
                position = nl + 1
                line += 1
                return lineBytes.last == UInt8(ascii: "\r") ? lineBytes.dropLast() : lineBytes
            }
            if finished {
                guard position < buffer.count else { return nil }
                let rest = buffer[position...]
                position = buffer.count
                line += 1
                return rest
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { chunk.deallocate() }
            let n = try source.read(into: chunk)
            if n == 0 { finished = true } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                bytesConsumed += n
            }
        }
    }

    public func next(into record: inout CSVRecord) throws(InputError) -> Bool {
        while let bytes = try nextLine() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            records += 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                // Keep the record count and line for the caller's report, then fail this line.
                record = CSVRecord(fields: [], line: line)
                throw InputError(file: path, line: line, message: "not a JSON object (JSON Lines expects one object per line)")
            }
            record = CSVRecord(fields: header.map { JSONLinesReader.text(object[$0]) }, line: line)
            return true
        }
        return false
    }

    /// A JSON value as field text: strings as they are, numbers in their JSON text, true/false as
    /// yes/no, null or absent as missing ("").
    public static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "yes" : "no" }
            return n.stringValue
        case let v?: return "\(v)"
        }
    }
}

/// Writing JSON strings.
public enum JSONText {
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
