/// One parsed record: field contents (quotes removed, doubled quotes collapsed) stored back to back.
///
/// The record is reused from row to row so the hot path allocates nothing per field.
public struct CSVRecord: Sendable {
    /// Bytes of all fields, concatenated.
    public internal(set) var bytes: [UInt8] = []
    /// `ends[i]` is the end offset of field i in `bytes`; field i starts at `ends[i-1]` (or 0).
    public internal(set) var ends: [Int] = []
    /// 1-based physical line where the record starts.
    public internal(set) var line: Int = 0
    /// 0-based index of the record among data records (the header is not counted).
    public internal(set) var index: Int = 0
    /// Zero-copy mode (records read from a chunk in memory without quotes): field i is the bytes
    /// `starts[i]..<ends[i]` after this address. Valid until the reader's next call. Kept as an integer
    /// so the record stays Sendable.
    @usableFromInline var externalAddress: UInt = 0
    @usableFromInline var starts: [Int] = []

    public init() {
        bytes.reserveCapacity(4096)
        ends.reserveCapacity(64)
    }

    /// A record built from values (an inline lead, a JSON object) so it goes through the same resolver.
    public init(fields: [String], line: Int) {
        for f in fields {
            bytes.append(contentsOf: f.utf8)
            ends.append(bytes.count)
        }
        self.line = line
    }

    @inlinable public var fieldCount: Int { ends.count }

    @inlinable
    public func range(_ i: Int) -> Range<Int> {
        (i == 0 ? 0 : ends[i - 1])..<ends[i]
    }

    /// Calls `body` with the raw bytes of field `i`.
    @inlinable
    public func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if externalAddress != 0 {
            let base = UnsafePointer<UInt8>(bitPattern: externalAddress)!
            return try body(UnsafeBufferPointer(start: base + starts[i], count: ends[i] - starts[i]))
        }
        let r = range(i)
        return try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[r]))
        }
    }

    /// Every field's bytes by index, valid inside `withFields`: one closure per record instead of one
    /// per field (the hot loops of training read a dozen fields a row).
    public struct Fields {
        @usableFromInline let base: UnsafePointer<UInt8>
        @usableFromInline let starts: UnsafePointer<Int>?
        @usableFromInline let ends: UnsafePointer<Int>

        @usableFromInline
        init(base: UnsafePointer<UInt8>, starts: UnsafePointer<Int>?, ends: UnsafePointer<Int>) {
            self.base = base
            self.starts = starts
            self.ends = ends
        }

        @inlinable
        public subscript(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            let start = starts.map { $0[i] } ?? (i == 0 ? 0 : ends[i - 1])
            return UnsafeBufferPointer(start: base + start, count: ends[i] - start)
        }
    }

    /// Calls `body` with the record's fields. `body` is called from one place, so it is inlined here
    /// rather than kept as a closure (one called from two branches held a copy of what it captured,
    /// and a caller's `self` was copied, every reference retained and released, on each call).
    @inlinable
    public func withFields<R>(_ body: (Fields) throws -> R) rethrows -> R {
        try ends.withUnsafeBufferPointer { e in
            try starts.withUnsafeBufferPointer { s in
                try bytes.withUnsafeBufferPointer { b in
                    let inPlace = externalAddress != 0
                    let fields = Fields(base: inPlace ? UnsafePointer(bitPattern: externalAddress)! : b.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                        starts: inPlace ? s.baseAddress ?? UnsafePointer(bitPattern: 8)! : nil,
                                        ends: e.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                    return try body(fields)
                }
            }
        }
    }

    /// Field `i` as a String, or nil when its bytes are not valid UTF-8.
    public func string(_ i: Int) -> String? {
        withField(i) { String(validating: $0, as: UTF8.self) }
    }

    /// Field `i` decoded leniently (invalid bytes replaced), for messages.
    public func displayString(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields as Strings (replacing invalid UTF-8), for tests and small tools.
    public var fields: [String] {
        (0..<fieldCount).map { displayString($0) }
    }

    /// Makes the record the `count` fields whose bounds are `starts[i]..<ends[i]` after `address`
    /// (`CSVReader`'s in-place path): the bounds are copied through pointers into arrays that already
    /// have the room, not removed and appended (each of those checked the array's uniqueness and
    /// capacity, a few hundred instructions per record). `bytes` is left as it is: in-place fields
    /// never read it, and `reset` empties it before a record is copied again.
    @inline(__always)
    mutating func setInPlace(address: UnsafePointer<UInt8>, starts: UnsafePointer<Int>, ends: UnsafePointer<Int>, count: Int,
                             line: Int, index: Int) {
        if self.ends.count != count || self.starts.count != count {
            self.ends = [Int](repeating: 0, count: count)
            self.starts = [Int](repeating: 0, count: count)
        }
        self.starts.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: starts, count: count) }
        self.ends.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: ends, count: count) }
        externalAddress = UInt(bitPattern: address)
        self.line = line
        self.index = index
    }

    mutating func reset(line: Int, index: Int) {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        if externalAddress != 0 {
            externalAddress = 0
            starts.removeAll(keepingCapacity: true)
        }
        self.line = line
        self.index = index
    }
}
