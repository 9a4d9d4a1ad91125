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

/// The 64-byte SIMD scanner against a byte-by-byte search: random inputs rich in the searched bytes
/// (and bytes one bit away from them), lengths across several blocks, every start, moving forward
/// by small random steps as the readers do (the bits of a block are reused between calls).
@Suite struct ByteScannerTests {
    @Test func findsTheSameBytesAsALoopAcrossBlockEdges() {
        var state: UInt64 = 0x9E37_79B9
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let wanted: [UInt8] = [0x2C, 0x22, 0x0A, 0x0D]
        let alphabet: [UInt8] = wanted + [0x2D, 0x23, 0x0B, 0x0C, 0x41, 0x00, 0xFF, 0x80, 0xAC, 0x61, 0x62, 0x63]
        for round in 0..<300 {
            // Sparse and dense inputs: some rounds hold few wanted bytes (long runs between them).
            let sparse = round % 3 == 0
            let bytes = (0..<Int(next() % 260)).map { _ -> UInt8 in
                sparse && next() % 16 != 0 ? 0x61 : alphabet[Int(next()) % alphabet.count]
            }
            bytes.withUnsafeBufferPointer { b in
                let base = b.baseAddress ?? UnsafePointer(bitPattern: 8)!
                for end in [b.count, b.count / 2, max(0, b.count - 1)] {
                    for start in 0...end {
                        var scanner = ByteScanner(0x2C, 0x22, 0x0A, 0x0D)
                        var from = start
                        while true {
                            let expected = (from..<end).first { wanted.contains(b[$0]) } ?? end
                            let found = scanner.first(in: base, from: from, end: end)
                            #expect(found == expected, "\(bytes) end \(end) from \(from)")
                            if found >= end || found != expected { break }
                            from = found + 1 + Int(next() % 3)
                            if from > end { break }
                        }
                    }
                }
            }
        }
    }

    /// Moving forward without taking every hit (a reader that jumps past a record, the chunker
    /// after a quoted run) still finds the next one.
    @Test func skipsForwardPastHitsAndBlocks() {
        let bytes = (0..<300).map { UInt8($0 % 7 == 0 ? 0x2C : 0x61) }
        bytes.withUnsafeBufferPointer { b in
            var scanner = ByteScanner(0x2C, 0x2C, 0x2C, 0x2C)
            for from in stride(from: 0, to: 300, by: 5) {
                let expected: Int = (from..<300).first(where: { b[$0] == 0x2C }) ?? 300
                #expect(scanner.first(in: b.baseAddress!, from: from, end: 300) == expected)
            }
        }
    }
}

/// The scorer's sequential reader references records without quotes in its read buffer instead
/// of copying them: the same header, records, lines and errors as the copying reader, at read sizes
/// that cut records, CRLF pairs and quoted fields anywhere.
@Suite struct InPlaceReaderTests {
    static func read(_ path: String, inPlace: Bool, chunkSize: Int) -> RecordChunkerTests.Outcome {
        var o = RecordChunkerTests.Outcome()
        do {
            let r = CSVReader(source: try ByteSource(path: path), delimiter: UInt8(ascii: ","), chunkSize: chunkSize, inPlace: inPlace)
            o.header = try r.readHeader()
            var rec = CSVRecord()
            while try r.next(into: &rec) { o.records.append(rec.fields); o.lines.append(rec.line) }
        } catch { o.error = "\(error)" }
        return o
    }

    @Test(arguments: RecordChunkerTests.corpus)
    func dirtyCorpusReadsTheSameInPlace(path: String) {
        for size in [16, 37, 100, 4096] {
            #expect(Self.read(path, inPlace: true, chunkSize: size) == Self.read(path, inPlace: false, chunkSize: size), "\(path) at \(size)")
        }
    }

    @Test func randomInputsReadTheSameInPlace() {
        let alphabet: [UInt8] = Array("\"\",,,\r\n\n\nab1 ".utf8) + [0xEF, 0xBB, 0xBF, 0xFF]
        var state: UInt64 = 0x5eed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        for round in 0..<400 {
            let count = Int(next() % 300)
            var bytes: [UInt8] = []
            // Some inputs without quotes, so most records take the in-place path.
            let plain = round % 2 == 0
            for _ in 0..<count {
                var b = alphabet[Int(next() % UInt64(alphabet.count))]
                if plain && b == UInt8(ascii: "\"") { b = UInt8(ascii: "a") }
                bytes.append(b)
            }
            let path = RecordChunkerTests.write(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let expected = Self.read(path, inPlace: false, chunkSize: 1 << 16)
            for size in [16, 17, 33, 64, 1 << 16] {
                #expect(Self.read(path, inPlace: true, chunkSize: size) == expected, "input \(bytes) at \(size)")
            }
        }
    }
}
