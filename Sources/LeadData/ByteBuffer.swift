/// Bytes in one allocation that several owners share without copying: the chunk scanner reads the
/// file into one, cuts it into chunks that keep it alive, and each chunk's reader parses it in
/// place on another thread. Written only before it is shared.
public final class ByteBuffer: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    /// Bytes written.
    public internal(set) var count: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(byteCount: self.capacity, alignment: 16)
        count = 0
    }

    deinit { base.deallocate() }

    /// The written bytes.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Reads `length` bytes at `offset` of `path` (a chunk the first pass planned).
    public static func read(path: String, offset: Int, length: Int) throws(InputError) -> ByteBuffer {
        let buffer = ByteBuffer(capacity: length)
        try ByteSource.readRange(path: path, offset: offset, into: UnsafeMutableRawBufferPointer(start: buffer.base, count: length))
        buffer.count = length
        return buffer
    }
}

/// A stretch of a `ByteBuffer` (a chunk of whole records), keeping the buffer alive.
public struct ByteSlice: @unchecked Sendable {
    public let owner: ByteBuffer
    public let start: Int
    public let count: Int

    public init(_ owner: ByteBuffer, start: Int = 0, count: Int? = nil) {
        self.owner = owner
        self.start = start
        self.count = count ?? owner.count - start
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: owner.base + start, count: count) }
    public var array: [UInt8] { Array(bytes) }
    public var last: UInt8? { count > 0 ? bytes[count - 1] : nil }
}
