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
///
/// JSON Lines has no header, so the reader makes one: the keys of the first objects (up to
/// `JSONLinesReader.headerLines` of them, in the order first seen), read ahead and kept for `next`.
/// A consumer checks that header against the columns it needs exactly as it checks a CSV header,
/// so a file whose keys are misspelt or renamed is refused instead of scored as all-missing; a key
/// absent from one line only is a missing value on that line.
public final class JSONLinesReader: RecordSource {
    /// How many objects are read ahead to learn the keys.
    public static let headerLines = 1000
    public let path: String
    /// The keys of the first objects, in the order first seen (empty when the input has no object).
    public private(set) var header: [String] = []
    private var position: [String: Int] = [:]
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var offset = 0
    private var finished = false
    private var line = 0
    /// Lines read ahead to learn the header, replayed by `next` before reading on.
    private var pending: [(line: Int, object: [String: Any]?)] = []
    public private(set) var bytesConsumed = 0

    /// Opens `path` ("-" for standard input) and reads ahead to learn the keys.
    public convenience init(path: String) throws(InputError) {
        try self.init(source: try ByteSource(path: path))
    }

    /// Reads `source` from its start and reads ahead to learn the keys.
    public init(source: ByteSource) throws(InputError) {
        self.path = source.path
        self.source = source
        var objects = 0
        while objects < JSONLinesReader.headerLines, let (number, bytes) = try nextLine() {
            let object = JSONLinesReader.object(bytes)
            pending.append((number, object))
            guard let object else { continue }
            objects += 1
            for key in object.keys.sorted() where position[key] == nil {
                position[key] = header.count
                header.append(key)
            }
        }
        pending.reverse()
    }

    public var sizeInBytes: Int? { source.sizeInBytes }

    /// The next non-blank line's number and bytes, without its line end; nil at end of input.
    private func nextLine() throws(InputError) -> (Int, ArraySlice<UInt8>)? {
        while true {
            if let nl = buffer[offset...].firstIndex(of: UInt8(ascii: "\n")) {
                var lineBytes = buffer[offset..<nl]
                offset = nl + 1
                line += 1
                if lineBytes.last == UInt8(ascii: "\r") { lineBytes = lineBytes.dropLast() }
                if JSONLinesReader.isBlank(lineBytes) { continue }
                return (line, lineBytes)
            }
            if finished {
                guard offset < buffer.count else { return nil }
                let rest = buffer[offset...]
                offset = buffer.count
                line += 1
                if JSONLinesReader.isBlank(rest) { return nil }
                return (line, rest)
            }
            buffer.removeFirst(offset)
            offset = 0
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { chunk.deallocate() }
            let n = try source.read(into: chunk)
            if n == 0 { finished = true } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                bytesConsumed += n
            }
        }
    }

    private static func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    private static func object(_ bytes: ArraySlice<UInt8>) -> [String: Any]? {
        // A UTF-8 byte order mark (at the start of a file written by a Windows tool) is not JSON.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes
        return try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
    }

    public func next(into record: inout CSVRecord) throws(InputError) -> Bool {
        let number: Int
        let object: [String: Any]?
        if let ahead = pending.popLast() {
            (number, object) = ahead
        } else if let (n, bytes) = try nextLine() {
            (number, object) = (n, JSONLinesReader.object(bytes))
        } else {
            return false
        }
        guard let object else {
            // Keep the line for the caller's report (no fields, so no id), then fail this line.
            record = CSVRecord(fields: [], line: number)
            throw InputError(file: path, line: number, message: "not a JSON object (JSON Lines expects one object per line)")
        }
        var fields: [String] = []
        fields.reserveCapacity(header.count)
        var nested: Int?
        for (i, key) in header.enumerated() {
            if let text = JSONLinesReader.text(object[key]) { fields.append(text) } else { fields.append(""); nested = nested ?? i }
        }
        // The record is set even for a bad line, so the caller can name the lead's id.
        record = CSVRecord(fields: fields, line: number)
        if let i = nested {
            throw InputError(file: path, line: number, column: i + 1, columnName: header[i],
                             message: "expected a string, a number, true/false or null, found \(object[header[i]] is [Any] ? "an array" : "an object")")
        }
        return true
    }

    /// A JSON value as field text: strings as they are, numbers in their JSON text, true/false as
    /// yes/no, null or absent as missing (""); nil for an array or an object, which no column holds.
    public static func text(_ value: Any?) -> String? {
        switch value {
        case nil, is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return n.boolValue ? "yes" : "no" }
            return n.stringValue
        default: return nil
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
                if u.value < 0x20 || u.value == 0x7F || (0x80...0x9F).contains(u.value) {
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
