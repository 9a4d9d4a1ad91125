import Foundation
import Hummingbird
import LeadData
import LeadModel

/// Leads from a request body: one JSON object, an array of objects, or JSON Lines (one object per
/// line). Values are read as `score` reads JSON Lines: strings as they are, numbers in their JSON
/// text, true/false as yes/no, null as missing; an array or object as a value is refused, naming
/// the field.
enum LeadBody {
    enum Shape { case object, array, lines, csv }

    static let expected = "expected a JSON object (one lead), an array of objects, JSON Lines (one object per line), or CSV sent with Content-Type: text/csv"

    /// A body sent as `Content-Type: text/csv` (with parameters such as `; charset=utf-8` or not).
    static func isCSV(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";", maxSplits: 1).first else { return false }
        return type.trimmingCharacters(in: .whitespaces).lowercased() == "text/csv"
    }

    /// A CSV body: refused when empty or when it is JSON (sent with the wrong content type).
    static func checkCSV(_ bytes: [UInt8]) throws(ServeError) {
        guard let first = bytes.first(where: { !isSpace($0) }) else {
            throw ServeError(.badRequest, "empty body: expected CSV, a header line then one lead per line")
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            throw ServeError(.badRequest, "the body looks like JSON but was sent as Content-Type: text/csv: send JSON as application/json (or application/x-ndjson), CSV as text/csv")
        }
    }

    static func leads(_ bytes: [UInt8]) throws(ServeError) -> (Shape, [LeadScorer.Lead]) {
        if let read = FlatJSONReader.leads(bytes) { return read }
        let data = Data(bytes)
        guard let first = data.firstIndex(where: { !isSpace($0) }) else {
            throw ServeError(.badRequest, "empty body: " + expected)
        }
        switch data[first] {
        case UInt8(ascii: "["):
            guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                throw ServeError(.badRequest, "the body is not valid JSON: " + expected)
            }
            var leads: [LeadScorer.Lead] = []
            leads.reserveCapacity(array.count)
            for (i, element) in array.enumerated() {
                guard let object = element as? [String: Any] else {
                    var e = ServeError(.badRequest, "lead \(i) of the array is not a JSON object")
                    e.index = i
                    throw e
                }
                do {
                    leads.append(LeadScorer.Lead(line: i + 1, fields: try fields(object)))
                } catch var e {
                    e.index = i
                    throw e
                }
            }
            return (.array, leads)
        case UInt8(ascii: "{"):
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                do {
                    return (.object, [LeadScorer.Lead(line: 1, fields: try fields(object))])
                } catch var e {
                    e.line = 1
                    throw e
                }
            }
            return (.lines, try lines(data))
        default:
            throw ServeError(.badRequest, "the body is not JSON: " + expected)
        }
    }

    /// JSON Lines: every non-blank line one object, numbered by its physical line.
    static func lines(_ data: Data) throws(ServeError) -> [LeadScorer.Lead] {
        var leads: [LeadScorer.Lead] = []
        var line = 0
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            line += 1
            let text = data[start..<end]
            start = end < data.endIndex ? end + 1 : end
            if text.allSatisfy(isSpace) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                var e = ServeError(.badRequest, leads.isEmpty && line == 1 && start >= data.endIndex
                                   ? "the body is not valid JSON: " + expected
                                   : "line \(line) is not a JSON object (JSON Lines expects one object per line)")
                e.line = line
                throw e
            }
            do {
                leads.append(LeadScorer.Lead(line: line, fields: try fields(object)))
            } catch var e {
                e.line = line
                throw e
            }
        }
        return leads
    }

    /// One lead's fields as text; an array or an object as a value is refused.
    static func fields(_ object: [String: Any]) throws(ServeError) -> [String: String] {
        var fields: [String: String] = [:]
        fields.reserveCapacity(object.count)
        for (key, value) in object {
            if value is [Any] || value is [String: Any] {
                var e = ServeError(.unprocessableContent, "'\(key)' holds \(value is [Any] ? "an array" : "an object"): expected a string, a number, true/false or null", fields: [key])
                e.value = nil
                throw e
            }
            fields[key] = JSONLinesReader.text(value)
        }
        return fields
    }

    /// One JSON object (the lead of `/v1/explain`) as (column, text) pairs, keys in order.
    static func object(_ bytes: [UInt8]) throws(ServeError) -> [(String, String)] {
        if case (.object, let leads)? = FlatJSONReader.leads(bytes) {
            return leads[0].fields.keys.sorted().map { ($0, leads[0].fields[$0]!) }
        }
        let data = Data(bytes)
        guard data.contains(where: { !isSpace($0) }) else {
            throw ServeError(.badRequest, "empty body: expected one lead as a JSON object")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServeError(.badRequest, "the body is not one JSON object: expected one lead as a JSON object ({\"column\": value, …})")
        }
        let f = try fields(object)
        return f.keys.sorted().map { ($0, f[$0]!) }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
