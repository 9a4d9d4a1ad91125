/// Cuts a CSV stream into chunks of whole records, so several threads can parse at once.
///
/// A newline ends a record exactly when an even number of quote characters precede it (a quote
/// inside a quoted field is doubled, so parity is preserved). Each chunk ends at such a newline and
/// knows the physical line it starts on. An unterminated quote keeps the parity odd to the end of the
/// file, so the rest becomes one chunk and its parser reports the error as the sequential reader would.
public final class RecordChunker {
    public let path: String
    public let delimiter: UInt8
    private let source: ByteSource
    private var carry: [UInt8] = []
    private var scanned = 0
    private var quoteOdd = false
    private var lastBoundary = 0
    private var newlinesBeforeBoundary = 0
    private var newlinesScanned = 0
    private var nextLine = 1
    private var finished = false
    public let chunkSize: Int
    public private(set) var bytesConsumed = 0

    public struct Chunk: Sendable {
        public var bytes: [UInt8]
        public var firstLine: Int
    }

    public init(path: String, delimiter: UInt8, chunkSize: Int = 1 << 22) throws(InputError) {
        self.path = path
        self.delimiter = delimiter
        self.chunkSize = max(1 << 12, chunkSize)
        source = try ByteSource(path: path)
    }

    public var sizeInBytes: Int? { source.sizeInBytes }

    /// Reads more input; false at end of file.
    private func fill() throws(InputError) -> Bool {
        guard !finished else { return false }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { block.deallocate() }
        let n = try source.read(into: block)
        if n == 0 { finished = true; return false }
        carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[0..<n]))
        bytesConsumed += n
        return true
    }

    /// Scans new bytes for record boundaries.
    private func scan() {
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n")
        carry.withUnsafeBufferPointer { b in
            var i = scanned
            var odd = quoteOdd
            var newlines = newlinesScanned
            while i < b.count {
                let c = b[i]
                if c == quote { odd.toggle() } else if c == lf {
                    newlines += 1
                    if !odd {
                        lastBoundary = i + 1
                        newlinesBeforeBoundary = newlines
                    }
                }
                i += 1
            }
            scanned = i
            quoteOdd = odd
            newlinesScanned = newlines
        }
    }

    /// Cuts the carry at the last boundary.
    private func cut(upTo end: Int, newlines: Int) -> Chunk {
        let chunk = Chunk(bytes: Array(carry[0..<end]), firstLine: nextLine)
        carry.removeFirst(end)
        scanned -= end
        lastBoundary = 0
        newlinesScanned -= newlines
        newlinesBeforeBoundary = 0
        nextLine += newlines
        return chunk
    }

    /// The header record (BOM removed), parsed with the sequential reader's rules. Blank lines before
    /// it are skipped, as the sequential reader does.
    public func readHeader() throws(InputError) -> [String] {
        var headerEnd: Int?
        var newlines = 0
        var position = 0
        var odd = false
        var strippedBOM = false
        var sawContent = false
        while headerEnd == nil {
            if !strippedBOM && carry.count >= 3 {
                if carry.starts(with: [0xEF, 0xBB, 0xBF]) { carry.removeFirst(3) }
                strippedBOM = true
            }
            while position < carry.count {
                let c = carry[position]
                position += 1
                if c == UInt8(ascii: "\"") { odd.toggle() }
                if c == UInt8(ascii: "\n") {
                    newlines += 1
                    if !odd && sawContent { headerEnd = position; break }
                } else if c != UInt8(ascii: "\r") {
                    sawContent = true
                }
            }
            if headerEnd != nil { break }
            let more = try fill()
            if !more { break }
        }
        let end = headerEnd ?? carry.count
        let chunk = Chunk(bytes: Array(carry[0..<end]), firstLine: 1)
        carry.removeFirst(end)
        nextLine = 1 + newlines
        scanned = 0
        quoteOdd = false
        lastBoundary = 0
        newlinesScanned = 0
        newlinesBeforeBoundary = 0
        let reader = chunk.bytes.withUnsafeBytes { raw in
            CSVReader(bytes: raw, path: path, delimiter: delimiter, firstLine: 1, firstIndex: 0)
        }
        return try reader.readHeader()
    }

    /// The next chunk of whole records (at least `chunkSize` bytes unless the file ends), or nil.
    public func nextChunk() throws(InputError) -> Chunk? {
        scan()
        while carry.count < chunkSize || lastBoundary == 0 {
            guard try fill() else { break }
            scan()
        }
        if lastBoundary > 0 {
            return cut(upTo: lastBoundary, newlines: newlinesBeforeBoundary)
        }
        if carry.isEmpty { return nil }
        // End of file: the rest (a last record without a newline, or an unterminated quote).
        return cut(upTo: carry.count, newlines: newlinesScanned)
    }
}
