import Foundation
import LeadData

/// libFuzzer entry point. The input's first byte picks the delimiter; the rest is a CSV file.
///
/// Invariants checked (a violation crashes, so libFuzzer keeps the input):
/// - reading never crashes, whatever the bytes;
/// - the sequential streaming reader (with a tiny 16-byte buffer, so records straddle refills) and
///   the parallel path (`RecordChunker` with 16-byte chunks, each parsed by an in-memory reader from
///   its first line) return the same header, records and line numbers, or the same error;
/// - record line numbers are ≥ 2 and never go backwards;
/// - field parsers never crash, and a parsed number is finite.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 9, UInt8(ascii: "|")]
    let delimiter = delimiters[Int(data[0]) % delimiters.count]
    let body = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let path = NSTemporaryDirectory() + "leadscore-fuzz-\(getpid()).csv"
    FileManager.default.createFile(atPath: path, contents: Data(body))
    defer { unlink(path) }

    guard let streaming = try? CSVReader(path: path, delimiter: delimiter, chunkSize: 16) else { fatalError("cannot open temp file") }
    let a = readAll(streaming)
    let b = readChunked(path: path, delimiter: delimiter)
    if a != b { fatalError("sequential and chunked readers disagree:\n\(a)\nvs\n\(b)") }
    return 0
}

/// The parallel scoring path's view of the file, chunk by chunk.
func readChunked(path: String, delimiter: UInt8) -> Outcome {
    var outcome = Outcome()
    do {
        let chunker = try RecordChunker(path: path, delimiter: delimiter, chunkSize: 16)
        outcome.header = try chunker.readHeader()
        while let chunk = try chunker.nextChunk() {
            let reader = CSVReader(slice: chunk.slice, path: path, delimiter: delimiter, firstLine: chunk.firstLine, firstIndex: 0)
            let part = readRecords(reader, into: &outcome)
            if !part { break }
        }
    } catch {
        outcome.error = "\(error)"
    }
    return outcome
}

struct Outcome: Equatable, CustomStringConvertible {
    var header: [String]?
    var records: [[String]] = []
    var lines: [Int] = []
    var error: String?
    var description: String { "header \(String(describing: header)) records \(records) lines \(lines) error \(error ?? "-")" }
}

/// Reads everything, exercising the field parsers on every field.
func readAll(_ reader: CSVReader) -> Outcome {
    var outcome = Outcome()
    do {
        outcome.header = try reader.readHeader()
        _ = readRecords(reader, into: &outcome)
    } catch {
        outcome.error = "\(error)"
    }
    return outcome
}

/// Appends the reader's records; false when it stopped on an error (recorded in the outcome).
func readRecords(_ reader: CSVReader, into outcome: inout Outcome) -> Bool {
    var record = CSVRecord()
    let parser = FieldParser(extraMissing: ["Select"])
    do {
        while try reader.next(into: &record) {
            let last = outcome.lines.last ?? 1
            if record.line < 2 || record.line < last { fatalError("line numbers go backwards: \(record.line) after \(last)") }
            outcome.records.append(record.fields)
            outcome.lines.append(record.line)
            for i in 0..<record.fieldCount {
                record.withField(i) { raw in
                    let t = FieldParser.trim(raw)
                    _ = parser.isMissing(t)
                    if case .value(let v) = FieldParser.number(t), !v.isFinite { fatalError("non-finite number parsed") }
                    _ = FieldParser.boolean(t)
                    _ = FieldParser.date(t)
                }
                _ = record.string(i)
            }
        }
        return true
    } catch {
        outcome.error = "\(error)"
        return false
    }
}

// SwiftPM links an executable's entry point under the name `<Target>_main`; hand control to
// libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzCSVReader_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzCSVReader(data, size) }
}
