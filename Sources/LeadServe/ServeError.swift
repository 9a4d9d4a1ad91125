import Foundation
import Hummingbird
import LeadData
import LeadModel

/// A request the server refuses, and why: always a JSON body `{"error": …}` naming the fields at
/// fault, never a 500 for anything a client sends.
struct ServeError: Error {
    var status: HTTPResponse.Status
    var message: String
    /// The lead fields (model columns or keys) at fault.
    var fields: [String] = []
    /// Where in the body: the line (JSON Lines, a single object) or the index in an array (from 0).
    var line: Int?
    var index: Int?
    /// The field's position in a CSV record (from 1), as `score` names it.
    var column: Int?
    /// The value at fault, abbreviated.
    var value: String?
    /// For an absent column, the keys that look like it.
    var lookalikes: [String: [String]] = [:]
    /// Close the connection after answering (the body was not read to its end).
    var closeConnection = false
    /// For 405: the method the route takes.
    var allow: String?

    init(_ status: HTTPResponse.Status, _ message: String, fields: [String] = []) {
        self.status = status
        self.message = message
        self.fields = fields
    }

    /// A value that does not fit its column, or keys that miss columns, from the scoring library.
    init(_ error: Error, shape: LeadBody.Shape) {
        switch error {
        case let e as LeadScorer.MissingColumns:
            self.init(.unprocessableContent, e.message, fields: e.columns)
            lookalikes = e.lookalikes
        case let e as GivenLead.Problem:
            self.init(.unprocessableContent, e.message, fields: e.columns)
        case let e as InputError:
            // A CSV is named as `score` names a file: `request:LINE:COLUMN: message (column, value)`.
            self.init(.unprocessableContent, shape == .csv ? e.description : e.message, fields: e.columnName.map { [$0] } ?? [])
            if let at = e.line {
                if shape == .array { index = at - 1 } else { line = at }
            }
            if shape == .csv { column = e.column }
            value = e.value.map(InputError.abbreviate)
        default:
            self.init(.unprocessableContent, "\(error)")
        }
    }

    func body(requestID: String) -> [UInt8] {
        var s = "{\"error\":" + JSONText.quoted(message)
        if !fields.isEmpty { s += ",\"fields\":[" + fields.map(JSONText.quoted).joined(separator: ",") + "]" }
        if let line { s += ",\"line\":\(line)" }
        if let index { s += ",\"index\":\(index)" }
        if let column { s += ",\"column\":\(column)" }
        if let value { s += ",\"value\":" + JSONText.quoted(value) }
        if !lookalikes.isEmpty {
            s += ",\"lookalikes\":{" + lookalikes.keys.sorted().map { k in
                JSONText.quoted(k) + ":[" + lookalikes[k]!.map(JSONText.quoted).joined(separator: ",") + "]"
            }.joined(separator: ",") + "}"
        }
        s += ",\"request_id\":" + JSONText.quoted(requestID) + ",\"status\":\(status.code)}\n"
        return Array(s.utf8)
    }
}
