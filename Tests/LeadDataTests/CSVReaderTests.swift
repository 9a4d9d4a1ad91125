import Foundation
import Testing
@testable import LeadData

/// Writes `text` to a temporary file and reads all records with the given chunk size.
func readAll(_ text: String, delimiter: Character = ",", chunk: Int = CSVReader.defaultChunkSize) throws -> (header: [String], rows: [[String]], lines: [Int]) {
    try readAll(bytes: Array(text.utf8), delimiter: delimiter, chunk: chunk)
}

func readAll(bytes: [UInt8], delimiter: Character = ",", chunk: Int = CSVReader.defaultChunkSize) throws -> (header: [String], rows: [[String]], lines: [Int]) {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let reader = try CSVReader(path: path, delimiter: delimiter.asciiValue!, chunkSize: chunk)
    let header = try reader.readHeader()
    var rows: [[String]] = []
    var lines: [Int] = []
    var record = CSVRecord()
    while try reader.next(into: &record) {
        rows.append(record.fields)
        lines.append(record.line)
    }
    return (header, rows, lines)
}

@Suite struct CSVReaderTests {
    @Test(arguments: [1, 2, 3, 7, 64, CSVReader.defaultChunkSize])
    func rfc4180CasesAtEveryChunkSize(chunk: Int) throws {
        let text = "\u{FEFF}id,name,note\r\n1,\"Smith, Jo\",\"said \"\"hi\"\"\"\r\n\r\n2,Lee,\"two\nlines\"\r\n3,,plain\n"
        let r = try readAll(text, chunk: chunk)
        #expect(r.header == ["id", "name", "note"])
        #expect(r.rows == [["1", "Smith, Jo", "said \"hi\""], ["2", "Lee", "two\nlines"], ["3", "", "plain"]])
        // Line numbers: header is 1, the blank line 3 is skipped, the quoted newline spans 4–5.
        #expect(r.lines == [2, 4, 6])
    }

    @Test func semicolonDelimiterAndQuotedStrings() throws {
        let r = try readAll("\"age\";\"job\"\n56;\"housemaid\"\n", delimiter: ";")
        #expect(r.header == ["age", "job"])
        #expect(r.rows == [["56", "housemaid"]])
    }

    @Test func lastLineWithoutNewline() throws {
        let r = try readAll("a,b\n1,2")
        #expect(r.rows == [["1", "2"]])
    }

    @Test func unterminatedQuoteNamesLineAndColumn() throws {
        #expect {
            _ = try readAll("a,b\n1,2\n3,\"open\n")
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.line == 3 && e.column == 2 && e.message.contains("unterminated")
        }
    }

    @Test func emptyFileNeedsAHeader() {
        #expect(throws: InputError.self) { _ = try readAll("") }
    }

    @Test func duplicateHeaderNamesAreRefused() throws {
        #expect {
            _ = try readAll("a,b,a\n1,2,3\n")
        } throws: { error in
            (error as? InputError)?.message.contains("duplicate column name") == true
        }
    }

    @Test func missingFileIsMissingInput() {
        #expect {
            _ = try CSVReader(path: "/nonexistent/leads.csv")
        } throws: { error in
            (error as? InputError)?.isMissingInput == true
        }
    }

    @Test func invalidUTF8IsDetectedPerField() throws {
        var bytes = Array("a,b\n".utf8)
        bytes += [0x66, 0xFF, 0x6F, 0x2C, 0x31, 0x0A]  // "f\xFFo,1\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVReader(path: path)
        _ = try reader.readHeader()
        var record = CSVRecord()
        #expect(try reader.next(into: &record))
        #expect(record.string(0) == nil)
        #expect(record.string(1) == "1")
    }
}

@Suite struct FieldParserTests {
    func number(_ s: String) -> FieldParser.NumberResult {
        var b = Array(s.utf8)
        return b.withUnsafeMutableBufferPointer { FieldParser.number(UnsafeBufferPointer($0)) }
    }

    @Test func decimalsParseExactly() {
        #expect(number("42") == .value(42))
        #expect(number("-3.25") == .value(-3.25))
        #expect(number("0.1") == .value(0.1))
        #expect(number("1e3") == .value(1000))
        #expect(number(".5") == .value(0.5))
        #expect(number("123456789012.345") == .value(123456789012.345))
        if case .value(let z) = number("-0") { #expect(z == 0 && z.sign == .minus) } else { Issue.record("-0 not a number") }
    }

    @Test func nonNumbersAndOverflow() {
        for s in ["NaN", "inf", "-inf", "abc", "1,000", "0x10", "1e", "", "--1", "1.2.3"] {
            #expect(number(s) == .notANumber, "\(s)")
        }
        #expect(number("1e309") == .outOfRange)
    }

    @Test func booleansAndDates() {
        func bool(_ s: String) -> Bool? { var b = Array(s.utf8); return b.withUnsafeMutableBufferPointer { FieldParser.boolean(UnsafeBufferPointer($0)) } }
        #expect(bool("Yes") == true)
        #expect(bool("FALSE") == false)
        #expect(bool("maybe") == nil)
        #expect(FieldParser.date("1970-01-02") == 1)
        #expect(FieldParser.date("2024-02-29") != nil)
        #expect(FieldParser.date("2023-02-29") == nil)
        #expect(FieldParser.date("2024-03-01T12:00:00Z") == FieldParser.date("2024-03-01")! + 0.5)
        #expect(FieldParser.date("2024-03-01T14:00:00+02:00") == FieldParser.date("2024-03-01")! + 0.5)
        #expect(FieldParser.date("01/03/2024") == nil)
        let days = FieldParser.daysFromCivil(2026, 11, 29)
        #expect(FieldParser.civilFromDays(days) == (2026, 11, 29))
    }

    @Test func missingMarkers() {
        let p = FieldParser(extraMissing: ["Select"])
        for s in ["", "NA", "N/A", "null", "NULL", "Select"] {
            var b = Array(s.utf8)
            #expect(b.withUnsafeMutableBufferPointer { p.isMissing(UnsafeBufferPointer($0)) }, "\(s)")
        }
        var b = Array("select".utf8)
        #expect(!b.withUnsafeMutableBufferPointer { p.isMissing(UnsafeBufferPointer($0)) })
    }

    @Test func byteKeyTableFindsKeysAndGrows() {
        var t = ByteKeyTable()
        for i in 0..<500 { t.set("level-\(i)", i) }
        #expect(t.count == 500)
        for i in stride(from: 0, to: 500, by: 37) { #expect(t.value(for: "level-\(i)") == i) }
        #expect(t.value(for: "level-500") == nil)
        #expect(t.value(for: "") == nil)
        t.set("", 7)
        #expect(t.value(for: "") == 7)
    }

    /// Keys of every length around the hash's 8-byte words, the same key under different salts,
    /// keys that differ only in their last byte, replacement of a value.
    @Test func byteKeyTableKeepsSaltsAndLengthsApart() {
        var t = ByteKeyTable()
        let keys = (0..<40).map { String(repeating: "a", count: $0) } + (0..<40).map { String(repeating: "a", count: $0) + "b" }
        for (i, k) in keys.enumerated() {
            t.set(k, i, salt: 0)
            t.set(k, 1000 + i, salt: 1)
        }
        #expect(t.count == 2 * Set(keys).count)
        for (i, k) in keys.enumerated() {
            #expect(t.value(for: k, salt: 0) == i)
            #expect(t.value(for: k, salt: 1) == 1000 + i)
            #expect(t.value(for: k, salt: 2) == nil)
        }
        #expect(t.value(for: String(repeating: "a", count: 41)) == nil)
        t.set("aaaaaaaab", -5, salt: 1)
        #expect(t.value(for: "aaaaaaaab", salt: 1) == -5)
        #expect(t.value(for: "aaaaaaaab", salt: 0) == keys.firstIndex(of: "aaaaaaaab"))
    }

    /// The table compares two words per key (first/last bytes) instead of the bytes: keys of one
    /// length that differ in any single byte, at every length up to 40, stay apart, and a key absent
    /// from the table is never found, against a dictionary.
    @Test func byteKeyTableTellsApartKeysDifferingInAnyByte() {
        var t = ByteKeyTable()
        var expected: [[UInt8]: Int] = [:]
        for length in 1...40 {
            let base = (0..<length).map { UInt8(97 + $0 % 26) }
            for position in 0..<length {
                var key = base
                key[position] = 0x5F  // '_'
                let value = expected[key] ?? expected.count
                expected[key] = value
                t.set(String(decoding: key, as: UTF8.self), value)
            }
        }
        for (key, value) in expected {
            #expect(key.withUnsafeBufferPointer { t.value(for: $0) } == value, "\(String(decoding: key, as: UTF8.self))")
            var absent = key
            absent[absent.count / 2] = 0x2D  // '-'
            #expect(absent.withUnsafeBufferPointer { t.value(for: $0) } == nil)
        }
    }
}
