/// Cuts a CSV stream into chunks of whole records, so several threads can parse at once.
///
/// The scanner runs the same state machine as `CSVReader` (field start, unquoted, quoted, quote in
/// quoted; CR, LF and CRLF line ends), without storing fields, so it finds exactly the record ends
/// the sequential reader finds and counts lines the same way: each chunk knows the physical line it
/// starts on, and messages name the same line whether a file is read by one thread or several. An
/// unterminated quote keeps the scanner in the quoted state to the end, so the rest of the file
/// becomes one chunk whose parser reports the error as the sequential reader would.
public final class RecordChunker {
    public let path: String
    public let delimiter: UInt8
    private let source: ByteSource
    /// Bytes read and not handed out yet (the scanner's input); a chunk takes this buffer whole.
    private var carry: ByteBuffer
    private var finished = false
    public let chunkSize: Int
    public private(set) var bytesConsumed = 0

    // Scanner state, for the bytes of `carry` before `scanned`.
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }
    private var state = State.fieldStart
    private var scanned = 0
    private var linesScanned = 0
    private var recordHasContent = false
    /// End of the last complete record in `carry`, the lines before it, and whether any record
    /// before it had content (for the header).
    private var lastBoundary = 0
    private var linesBeforeBoundary = 0
    private var recordsScanned = 0
    private var recordsBeforeBoundary = 0
    private var firstContentBoundary: (end: Int, lines: Int)?
    private var nextLine = 1

    public struct Chunk: Sendable {
        /// The chunk's bytes, in place in the buffer they were read into.
        public var slice: ByteSlice
        /// A copy of the bytes (for tests and tools; the parsers read `slice` in place).
        public var bytes: [UInt8] { slice.array }
        public var firstLine: Int
        /// Byte offset of the chunk in the file (after the header).
        public var offset: Int = 0
        /// Records the chunk ends (blank lines excluded): a chunk's first record index is the sum
        /// over the chunks before it. The last chunk may hold one more, without a line end.
        public var records: Int = 0
    }

    /// Bytes handed out so far: the header (with a BOM and blank lines before it) and the chunks.
    public private(set) var emittedBytes = 0

    /// Bytes that can change the scanner's state outside quotes: delimiter, quote, CR, LF.
    private let specialBytes: [Bool]

    public convenience init(path: String, delimiter: UInt8, chunkSize: Int = 1 << 22) throws(InputError) {
        self.init(source: try ByteSource(path: path), delimiter: delimiter, chunkSize: chunkSize)
    }

    /// Cuts what `source` holds from its start (a header first, as in a file).
    public init(source: ByteSource, delimiter: UInt8, chunkSize: Int = 1 << 22) {
        self.path = source.path
        self.delimiter = delimiter
        var special = [Bool](repeating: false, count: 256)
        for b in [delimiter, UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: "\n")] { special[Int(b)] = true }
        specialBytes = special
        self.chunkSize = max(16, chunkSize)
        self.source = source
        carry = ByteBuffer(capacity: 2 * max(self.chunkSize, 1 << 12))
    }

    private var readSize: Int { max(chunkSize, 1 << 12) }

    /// A new carry holding `carry`'s bytes from `start` on, with room for the next read.
    private func replaceCarry(keepingFrom start: Int) {
        let rest = carry.count - start
        let fresh = ByteBuffer(capacity: max(2 * readSize, rest + readSize))
        if rest > 0 { fresh.base.copyMemory(from: carry.base + start, byteCount: rest) }
        fresh.count = rest
        carry = fresh
    }

    public var sizeInBytes: Int? { source.sizeInBytes }

    /// Reads more input; false at end of file.
    private func fill() throws(InputError) -> Bool {
        guard !finished else { return false }
        // Read straight into the carry (growing it only for a record longer than a read).
        if carry.capacity - carry.count < readSize { replaceCarry(keepingFrom: 0) }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: carry.base + carry.count, count: readSize))
        if n == 0 { finished = true; return false }
        carry.count += n
        bytesConsumed += n
        return true
    }

    /// Runs the state machine over the bytes not scanned yet. A CR at the very end is left for the
    /// next call (it may be the first half of a CRLF) unless the input is finished.
    private func scan() {
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let delimiter = self.delimiter
        var lineOrQuote = ByteScanner(quote, lf, cr, cr)
        specialBytes.withUnsafeBufferPointer { special in
        do {
            let b = UnsafeBufferPointer(start: carry.base.assumingMemoryBound(to: UInt8.self), count: carry.count)
            var i = scanned
            var st = state
            var lines = linesScanned
            var content = recordHasContent
            var records = recordsScanned
            func endRecord(at end: Int) {
                lines += 1
                if content || st != .fieldStart {
                    records += 1
                    lastBoundary = end
                    linesBeforeBoundary = lines
                    recordsBeforeBoundary = records
                    if firstContentBoundary == nil { firstContentBoundary = (end, lines) }
                } else {
                    // A blank line: still a boundary (nothing to parse), counted as a line.
                    lastBoundary = end
                    linesBeforeBoundary = lines
                    recordsBeforeBoundary = records
                }
                st = .fieldStart
                content = false
            }
            while i < b.count {
                // Fast paths: runs of ordinary bytes inside an unquoted or a quoted field.
                if st == .fieldStart && !special[Int(b[i])] {
                    st = .unquoted
                    content = true
                }
                if st == .unquoted {
                    // Inside unquoted fields only a quote or a line end can change the structure: a
                    // delimiter matters when a quote follows it, and that is checked where the quote is.
                    i = lineOrQuote.first(in: b.baseAddress!, from: i, end: b.count)
                    if i == b.count { break }
                    if b[i] == quote && i > 0 && b[i - 1] == delimiter { st = .fieldStart }
                } else if st == .quoted {
                    // A CR inside quotes stops the search too; the state machine passes over it.
                    i = lineOrQuote.first(in: b.baseAddress!, from: i, end: b.count)
                    if i == b.count { break }
                }
                let c = b[i]
                switch st {
                case .fieldStart, .unquoted:
                    if c == delimiter {
                        st = .fieldStart
                        content = true
                    } else if c == lf {
                        let wasBlank = !content && st == .fieldStart
                        if wasBlank { st = .fieldStart }
                        endRecord(at: i + 1)
                    } else if c == cr {
                        if i + 1 == b.count && !finished { scanned = i; state = st; linesScanned = lines; recordHasContent = content; recordsScanned = records; return }
                        if i + 1 < b.count && b[i + 1] == lf { i += 1 }
                        endRecord(at: i + 1)
                    } else if c == quote && st == .fieldStart {
                        st = .quoted
                        content = true
                    } else {
                        st = .unquoted
                        content = true
                    }
                case .quoted:
                    if c == quote { st = .quoteInQuoted } else if c == lf { lines += 1 }
                case .quoteInQuoted:
                    if c == quote {
                        st = .quoted
                    } else if c == delimiter {
                        st = .fieldStart
                    } else if c == lf {
                        endRecord(at: i + 1)
                    } else if c == cr {
                        if i + 1 == b.count && !finished { scanned = i; state = st; linesScanned = lines; recordHasContent = content; recordsScanned = records; return }
                        if i + 1 < b.count && b[i + 1] == lf { i += 1 }
                        endRecord(at: i + 1)
                    } else {
                        st = .unquoted
                    }
                }
                i += 1
            }
            scanned = i
            state = st
            linesScanned = lines
            recordHasContent = content
            recordsScanned = records
        }
        }
    }

    /// Removes the first `end` bytes (ending `lines` lines and `records` records) as a chunk.
    private func cut(upTo end: Int, lines: Int, records: Int = 0) -> Chunk {
        // The chunk takes the buffer itself; only the short tail after the cut is copied.
        let chunk = Chunk(slice: ByteSlice(carry, start: 0, count: end), firstLine: nextLine, offset: emittedBytes, records: records)
        replaceCarry(keepingFrom: end)
        emittedBytes += end
        scanned -= end
        linesScanned -= lines
        recordsScanned -= records
        recordsBeforeBoundary = 0
        lastBoundary = 0
        linesBeforeBoundary = 0
        firstContentBoundary = nil
        nextLine += lines
        return chunk
    }

    /// The header record (a leading BOM removed), parsed with the sequential reader's rules; blank
    /// lines before it are skipped, as the sequential reader does.
    public func readHeader() throws(InputError) -> [String] {
        var strippedBOM = false
        while true {
            if !strippedBOM && (carry.count >= 3 || finished) {
                if carry.count >= 3 && carry.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { replaceCarry(keepingFrom: 3); emittedBytes += 3 }
                strippedBOM = true
            }
            if strippedBOM { scan() }
            if firstContentBoundary != nil { break }
            let more = try fill()
            if !more {
                if !strippedBOM { continue }
                scan()
                break
            }
        }
        let (end, lines) = firstContentBoundary ?? (carry.count, linesScanned)
        let headerBytes = Array(carry.bytes[0..<end])
        replaceCarry(keepingFrom: end)
        emittedBytes += end
        // Rescan what is left from a clean state (the header ended a record).
        scanned = 0
        state = .fieldStart
        linesScanned = 0
        recordsScanned = 0
        recordsBeforeBoundary = 0
        recordHasContent = false
        lastBoundary = 0
        linesBeforeBoundary = 0
        firstContentBoundary = nil
        nextLine = 1 + lines
        let reader = headerBytes.withUnsafeBytes { raw in
            CSVReader(bytes: raw, path: path, delimiter: delimiter, firstLine: 1, firstIndex: 0)
        }
        return try reader.readHeader()
    }

    /// The next chunk of whole records (about `chunkSize` bytes unless the file ends), or nil.
    public func nextChunk() throws(InputError) -> Chunk? {
        scan()
        while carry.count < chunkSize || lastBoundary == 0 {
            guard try fill() else { break }
            scan()
        }
        if finished { scan() }
        if lastBoundary > 0 {
            return cut(upTo: lastBoundary, lines: linesBeforeBoundary, records: recordsBeforeBoundary)
        }
        if carry.count == 0 { return nil }
        // End of file: the rest (a last record without a line end, or an unterminated quote).
        return cut(upTo: carry.count, lines: linesScanned, records: recordsScanned)
    }
}
