import Foundation
import Testing
@testable import LeadData

/// The parallel path (RecordChunker + in-memory readers) sees exactly what the sequential reader
/// sees: same header, records, line numbers and errors. This is the fuzz harness's invariant
/// (Fuzz/Sources/FuzzCSVReader), kept here as a test over the dirty corpus and random inputs.
@Suite struct RecordChunkerTests {
    struct Outcome: Equatable {
        var header: [String]?
        var records: [[String]] = []
        var lines: [Int] = []
        var error: String?
    }

    static func write(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chunk-\(UUID().uuidString).csv").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func sequential(_ path: String, _ delimiter: UInt8) -> Outcome {
        var o = Outcome()
        do {
            let r = try CSVReader(path: path, delimiter: delimiter, chunkSize: 16)
            o.header = try r.readHeader()
            var rec = CSVRecord()
            while try r.next(into: &rec) { o.records.append(rec.fields); o.lines.append(rec.line) }
        } catch { o.error = "\(error)" }
        return o
    }

    static func chunked(_ path: String, _ delimiter: UInt8, chunkSize: Int) -> Outcome {
        var o = Outcome()
        do {
            let c = try RecordChunker(path: path, delimiter: delimiter, chunkSize: chunkSize)
            o.header = try c.readHeader()
            outer: while let chunk = try c.nextChunk() {
                let r = CSVReader(slice: chunk.slice, path: path, delimiter: delimiter, firstLine: chunk.firstLine, firstIndex: 0)
                var rec = CSVRecord()
                var read = 0
                do {
                    while try r.next(into: &rec) { o.records.append(rec.fields); o.lines.append(rec.line); read += 1 }
                } catch { o.error = "\(error)"; break outer }
                // The chunker's count of complete records is what the reader found (the last chunk
                // may add one record without a line end).
                if read != chunk.records && read != chunk.records + 1 { o.error = "record count \(chunk.records) vs \(read)"; break }
                if read == chunk.records + 1 && chunk.slice.last == UInt8(ascii: "\n") { o.error = "uncounted record"; break }
            }
        } catch { o.error = "\(error)" }
        return o
    }

    static var corpus: [String] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/dirty").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".csv") }.sorted().map { dir + "/" + $0 }
    }

    @Test(arguments: corpus)
    func dirtyCorpusReadsTheSameBothWays(path: String) {
        for size in [16, 100, 1 << 22] {
            #expect(Self.chunked(path, UInt8(ascii: ","), chunkSize: size) == Self.sequential(path, UInt8(ascii: ",")), "\(path) at \(size)")
        }
    }

    /// Random mixes of the bytes that matter (quotes, delimiters, CR, LF, BOM pieces, text).
    @Test func randomInputsReadTheSameBothWays() {
        let alphabet: [UInt8] = Array("\"\",,;\r\n\n\nab1 ".utf8) + [0xEF, 0xBB, 0xBF, 0xFF]
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        for _ in 0..<400 {
            let count = Int(next() % 120)
            var bytes: [UInt8] = []
            for _ in 0..<count { bytes.append(alphabet[Int(next() % UInt64(alphabet.count))]) }
            let path = Self.write(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let a = Self.sequential(path, UInt8(ascii: ","))
            let b = Self.chunked(path, UInt8(ascii: ","), chunkSize: 16)
            #expect(a == b, "input \(bytes)")
        }
    }
}

/// The word-at-a-time search against a byte-by-byte one, on every start and length of random
/// inputs rich in the searched bytes (and in bytes one bit away from them).
@Suite struct ByteSearchTests {
    @Test func findsTheSameByteAsALoop() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let alphabet: [UInt8] = [0x2C, 0x22, 0x0A, 0x0D, 0x2D, 0x23, 0x0B, 0x0C, 0x41, 0x00, 0xFF, 0x80, 0xAC]
        for _ in 0..<200 {
            let bytes = (0..<Int(next() % 40)).map { _ in alphabet[Int(next()) % alphabet.count] }
            let search = ByteSearch(0x2C, 0x22, 0x0A, 0x0D)
            bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress ?? UnsafePointer(bitPattern: 8)!
                for from in 0...b.count {
                    for end in from...b.count {
                        let expected = (from..<end).first { [0x2C, 0x22, 0x0A, 0x0D].contains(b[$0]) } ?? end
                        #expect(search.first(in: base, from: from, end: end) == expected)
                    }
                }
            }
        }
    }
}
