/// A streaming RFC 4180 CSV reader over bytes.
///
/// Handles quoted fields, doubled quotes, delimiters and newlines inside quotes, CRLF and lone LF
/// line ends, a UTF-8 byte-order mark, and blank lines (skipped). Memory is one read buffer plus the
/// current record, whatever the file size.
public final class CSVReader {
    public let path: String
    public let delimiter: UInt8
    private let source: ByteSource?
    /// True when reading a chunk held in memory (the buffer holds all of it from the start).
    private let inMemory: Bool
    /// True when records without quotes are read in place from the read buffer (see `init(source:…)`).
    private let inPlace: Bool
    /// Where the in-place path finds delimiters, line ends and quotes (reset when the buffer is refilled).
    /// Held behind a pointer: as a stored property of the class, every record's update of it went
    /// through a dynamic exclusivity check (`swift_beginAccess`).
    private let scanner: UnsafeMutablePointer<ByteScanner>
    private var buffer: UnsafeMutableRawBufferPointer
    private var position = 0
    private var end = 0
    private var exhausted = false
    private var atStart = true
    /// The physical line the reader is on (1-based).
    private var line = 1
    private var recordsRead = 0
    /// Bytes consumed so far (for progress reporting).
    public var bytesConsumed: Int { consumed }
    /// Private, so its updates need no dynamic exclusivity check: as a `public private(set)` property
    /// each record's update called `swift_beginAccess` (about 75 instructions a record).
    private var consumed = 0

    public static let defaultChunkSize = 1 << 20

    public convenience init(path: String, delimiter: UInt8 = UInt8(ascii: ","), chunkSize: Int = CSVReader.defaultChunkSize) throws(InputError) {
        self.init(source: try ByteSource(path: path), delimiter: delimiter, chunkSize: chunkSize)
    }

    /// Reads `source` from its start (a header is expected, as from a file).
    ///
    /// With `inPlace`, a record without quotes is referenced where it lies in the read buffer, as in
    /// a chunk held in memory (`CSVRecord` valid until the next call), instead of being copied field
    /// by field: the bulk scorer reads this way; other readers keep records that own their bytes.
    public init(source: ByteSource, delimiter: UInt8 = UInt8(ascii: ","), chunkSize: Int = CSVReader.defaultChunkSize,
                inPlace: Bool = false) {
        self.path = source.path
        self.delimiter = delimiter
        self.source = source
        self.inMemory = false
        self.inPlace = inPlace
        self.buffer = .allocate(byteCount: max(16, chunkSize), alignment: 16)
        self.scanner = CSVReader.scanner(for: delimiter)
    }

    /// Reads records from bytes already in memory (a chunk of a larger file): `firstLine` is the
    /// physical line the chunk starts on and `firstIndex` the data-record index of its first record,
    /// so messages and row numbers are those of the whole file. No header is expected.
    public init(bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, firstLine: Int, firstIndex: Int) {
        self.path = path
        self.delimiter = delimiter
        self.source = nil
        self.inMemory = true
        self.inPlace = true
        self.scanner = CSVReader.scanner(for: delimiter)
        self.buffer = .allocate(byteCount: max(16, bytes.count), alignment: 16)
        if bytes.count > 0 { buffer.copyMemory(from: bytes) }
        self.end = bytes.count
        self.exhausted = true
        self.atStart = false
        self.line = firstLine
        self.recordsRead = firstIndex
    }

    /// Reads records in place from a chunk of a larger file (no copy: the slice keeps its buffer
    /// alive while this reader lives). Lines and indices as for `init(bytes:…)`.
    public init(slice: ByteSlice, path: String, delimiter: UInt8, firstLine: Int, firstIndex: Int) {
        self.path = path
        self.delimiter = delimiter
        self.source = nil
        self.inMemory = true
        self.inPlace = true
        self.scanner = CSVReader.scanner(for: delimiter)
        self.borrowed = slice.owner
        self.buffer = UnsafeMutableRawBufferPointer(start: slice.owner.base + slice.start, count: slice.count)
        self.end = slice.count
        self.exhausted = true
        self.atStart = false
        self.line = firstLine
        self.recordsRead = firstIndex
    }

    /// The in-place path's scanner state, allocated once per reader.
    private static func scanner(for delimiter: UInt8) -> UnsafeMutablePointer<ByteScanner> {
        let p = UnsafeMutablePointer<ByteScanner>.allocate(capacity: 1)
        p.initialize(to: ByteScanner(delimiter, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\"")))
        return p
    }

    /// The buffer `buffer` points into when it was not allocated here.
    private var borrowed: ByteBuffer?

    /// Field boundaries of the record being read by the fast path, copied into the record in one
    /// append each at its end (an append per field checks the array's uniqueness every time).
    private var boundaries = UnsafeMutablePointer<Int>.allocate(capacity: 2 * 64)
    private var boundaryCapacity = 64

    deinit {
        if borrowed == nil { buffer.deallocate() }
        boundaries.deallocate()
        scanner.deallocate()
    }

    public var sizeInBytes: Int? { source?.sizeInBytes }

    /// Moves the bytes not read yet to the front of the buffer and reads more after them (in-place
    /// reading met the end of the buffer inside a record). False when the record fills the buffer:
    /// the state machine, which copies, reads it.
    private func refillKeepingRest() throws(InputError) -> Bool {
        guard let source, !exhausted else { return true }
        let rest = end - position
        if rest == buffer.count { return false }
        if rest > 0 && position > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + position, byteCount: rest) }
        position = 0
        end = rest
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[rest...]))
        if n == 0 { exhausted = true } else { end += n }
        scanner.pointee.reset()
        return true
    }

    private func refill() throws(InputError) -> Bool {
        if exhausted { return false }
        guard let source else { return false }
        let n = try source.read(into: buffer)
        position = 0
        end = n
        scanner.pointee.reset()
        if n == 0 { exhausted = true; return false }
        return true
    }

    @inline(__always)
    private func nextByte() throws(InputError) -> UInt8? {
        if position == end {
            guard try refill() else { return nil }
        }
        let b = buffer.load(fromByteOffset: position, as: UInt8.self)
        position += 1
        consumed += 1
        return b
    }

    @inline(__always)
    private func peekByte() throws(InputError) -> UInt8? {
        if position == end {
            guard try refill() else { return nil }
        }
        return buffer.load(fromByteOffset: position, as: UInt8.self)
    }

    private func skipBOM() throws(InputError) {
        atStart = false
        guard try peekByte() == 0xEF else { return }
        // The BOM is three bytes; they may straddle a chunk boundary only with absurdly small chunks.
        if end - position >= 3,
           buffer.load(fromByteOffset: position + 1, as: UInt8.self) == 0xBB,
           buffer.load(fromByteOffset: position + 2, as: UInt8.self) == 0xBF {
            position += 3
            consumed += 3
        }
    }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// Reads the next non-blank record into `record`. Returns false at end of input.
    ///
    /// - Throws: `InputError` for an unterminated quoted field (with the line where the record began).
    public func next(into record: inout CSVRecord) throws(InputError) -> Bool {
        if atStart { try skipBOM() }
        let quote = UInt8(ascii: "\"")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        let delimiter = self.delimiter
        if inPlace {
            // Zero-copy fast path: a record without quotes is referenced in place.
            fast: while true {
                switch fastRecord(into: &record) {
                case .record: return true
                case .blank: continue
                case .end: return false
                case .quoted: break fast
                case .incomplete: if try !refillKeepingRest() { break fast }
                }
            }
        }
        while true {
            record.reset(line: line, index: recordsRead)
            var state = State.fieldStart
            var sawAnything = false
            var quotedFieldStartLine = line
            while true {
                // Fast path: copy a run of plain bytes of an unquoted field in one go.
                if state == .unquoted && position < end {
                    let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    var i = position
                    while i < end {
                        let c = base[i]
                        if c == delimiter || c == lf || c == cr || c == quote { break }
                        i += 1
                    }
                    if i > position {
                        record.bytes.append(contentsOf: UnsafeBufferPointer(start: base + position, count: i - position))
                        consumed += i - position
                        position = i
                        continue
                    }
                }
                guard let c = try nextByte() else {
                    // End of input.
                    if state == .quoted {
                        throw InputError(file: path, line: quotedFieldStartLine, column: record.ends.count + 1,
                                         message: "unterminated quoted field: the file ends before its closing quote")
                    }
                    if !sawAnything {
                        return false
                    }
                    record.ends.append(record.bytes.count)
                    recordsRead += 1
                    return true
                }
                sawAnything = true
                switch state {
                case .fieldStart, .unquoted:
                    if c == delimiter {
                        record.ends.append(record.bytes.count)
                        state = .fieldStart
                    } else if c == lf || c == cr {
                        if c == cr, try peekByte() == lf { _ = try nextByte() }
                        line += 1
                        if record.ends.isEmpty && record.bytes.isEmpty && state == .fieldStart {
                            // A blank line: skip it and start the record on the next line.
                            record.reset(line: line, index: recordsRead)
                            sawAnything = false
                            continue
                        }
                        record.ends.append(record.bytes.count)
                        recordsRead += 1
                        return true
                    } else if c == quote && state == .fieldStart {
                        state = .quoted
                        quotedFieldStartLine = record.line
                    } else {
                        record.bytes.append(c)
                        state = .unquoted
                    }
                case .quoted:
                    if c == quote {
                        state = .quoteInQuoted
                    } else {
                        if c == lf { line += 1 }
                        record.bytes.append(c)
                    }
                case .quoteInQuoted:
                    if c == quote {
                        record.bytes.append(quote)
                        state = .quoted
                    } else if c == delimiter {
                        record.ends.append(record.bytes.count)
                        state = .fieldStart
                    } else if c == lf || c == cr {
                        if c == cr, try peekByte() == lf { _ = try nextByte() }
                        line += 1
                        record.ends.append(record.bytes.count)
                        recordsRead += 1
                        return true
                    } else {
                        // Text after a closing quote ("ab"c): kept literally, as most readers do.
                        record.bytes.append(c)
                        state = .unquoted
                    }
                }
            }
        }
    }

    private enum FastResult { case record, blank, end, quoted, incomplete }

    /// Reads one record in place when it holds no quote character: fields become ranges of the
    /// buffer (`CSVRecord.externalAddress`), nothing is copied. Line ends and blank lines are handled
    /// exactly as in the state machine; a quote anywhere in the record sends it back to the state
    /// machine (`.quoted`, position unchanged). Reading a stream, a record (or a CR that may be half of
    /// a CRLF) that reaches the end of the buffer is `.incomplete`: more must be read first.
    private func fastRecord(into record: inout CSVRecord) -> FastResult {
        let final = exhausted
        guard position < end else { return final ? .end : .incomplete }
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let delimiter = self.delimiter
        // Blank line?
        let first = base[position]
        if first == cr && position + 1 == end && !final { return .incomplete }
        if first == lf || first == cr {
            position += 1
            if first == cr && position < end && base[position] == lf { position += 1 }
            line += 1
            return .blank
        }
        // The loop keeps what it reads and writes in locals (the class's stored properties were
        // reloaded on every field, as a store through `boundaries` might have changed them); indices
        // stay within the buffer, so their arithmetic is unchecked.
        let start = position, stop = end
        var i = start
        var fieldStart = start
        var fields = 0
        var capacity = boundaryCapacity
        var starts = boundaries, ends = boundaries + capacity
        var scanner = self.scanner.pointee
        defer { self.scanner.pointee = scanner }
        while true {
            i = scanner.first(in: UnsafePointer(base), from: i, end: stop)
            if i == stop {
                if !final { return .incomplete }
                break
            }
            let c = base[i]
            if c == delimiter {
                if fields == capacity { (starts, ends, capacity) = growBoundaries(fields) }
                starts[fields] = fieldStart &- start
                ends[fields] = i &- start
                fields &+= 1
                fieldStart = i &+ 1
            } else if c == lf || c == cr {
                if c == cr && i &+ 1 == stop && !final { return .incomplete }
                break
            } else {
                return .quoted
            }
            i &+= 1
        }
        if fields == capacity { (starts, ends, capacity) = growBoundaries(fields) }
        starts[fields] = fieldStart &- start
        ends[fields] = i &- start
        fields &+= 1
        record.setInPlace(address: base + start, starts: starts, ends: ends, count: fields, line: line, index: recordsRead)
        // Consume the line end.
        if i < stop {
            if base[i] == cr && i &+ 1 < stop && base[i &+ 1] == lf { i &+= 1 }
            i &+= 1
            line += 1
        }
        consumed += i &- start
        position = i
        recordsRead += 1
        return .record
    }

    /// Doubles the field-bounds scratch (starts in its first half, ends in its second), keeping the
    /// first `count` of each; returns the new starts, ends and capacity.
    private func growBoundaries(_ count: Int) -> (UnsafeMutablePointer<Int>, UnsafeMutablePointer<Int>, Int) {
        let bigger = UnsafeMutablePointer<Int>.allocate(capacity: 4 * boundaryCapacity)
        bigger.update(from: boundaries, count: count)
        (bigger + 2 * boundaryCapacity).update(from: boundaries + boundaryCapacity, count: count)
        boundaries.deallocate()
        boundaries = bigger
        boundaryCapacity *= 2
        return (boundaries, boundaries + boundaryCapacity, boundaryCapacity)
    }

    /// Reads the header record and returns the column names, trimmed.
    ///
    /// - Throws: when the input is empty, a name is empty or repeated, or is not UTF-8.
    public func readHeader() throws(InputError) -> [String] {
        var record = CSVRecord()
        guard try next(into: &record) else {
            throw InputError(file: path, line: 1, message: "the file is empty; a header row is required")
        }
        var names: [String] = []
        var seen: [String: Int] = [:]
        for i in 0..<record.fieldCount {
            guard let raw = record.string(i) else {
                throw InputError(file: path, line: record.line, column: i + 1, message: "header name is not valid UTF-8")
            }
            let name = raw.trimmedWhitespace
            if name.isEmpty {
                throw InputError(file: path, line: record.line, column: i + 1, message: "header name is empty")
            }
            if let first = seen[name] {
                throw InputError(file: path, line: record.line, column: i + 1, columnName: name,
                                 message: "duplicate column name (also column \(first + 1))")
            }
            seen[name] = i
            names.append(name)
        }
        recordsRead = 0
        return names
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and line breaks.
    public var trimmedWhitespace: String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        guard let first = firstIndex(where: { !ws.contains($0) }) else { return "" }
        let last = lastIndex(where: { !ws.contains($0) })!
        return String(self[first...last])
    }
}
