/// Finding the bytes of a small set 64 bytes at a time: each block is compared with the wanted bytes
/// as four `SIMD16<UInt8>` vectors, and the matches packed into one bit per byte. The bits are kept,
/// so the next call (a field is a few bytes long) finds its answer with one `trailingZeroBitCount`
/// instead of loading and testing the bytes again.
///
/// Calls must move forward through the same bytes (`from` at or after the previous answer, within
/// the block or beyond it); `reset()` after the bytes under a position already scanned change.
@usableFromInline
struct ByteScanner {
    @usableFromInline let wanted: (SIMD16<UInt8>, SIMD16<UInt8>, SIMD16<UInt8>, SIMD16<UInt8>)
    /// Start of the block whose matches are in `bits` (bit k: byte `block + k`).
    @usableFromInline var block = Int.min / 2
    @usableFromInline var bits: UInt64 = 0

    /// Up to four bytes to look for (repeat one to look for fewer).
    @inlinable
    init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        wanted = (SIMD16(repeating: a), SIMD16(repeating: b), SIMD16(repeating: c), SIMD16(repeating: d))
    }

    /// Forgets the block held (the bytes were replaced).
    @inlinable
    mutating func reset() {
        block = Int.min / 2
        bits = 0
    }

    /// One bit per byte of `v` that is one of the wanted bytes (bit k for lane k).
    @inline(__always) @usableFromInline
    func matches(_ v: SIMD16<UInt8>) -> UInt64 {
        // `.==` feeding `replacing` compiles to byte compares; the 0/1 lanes are then packed eight at a
        // time by one multiply (lane k's 1 lands on bit 56 + k, then shifted down).
        let hit = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: v .== wanted.0)
            .replacing(with: 1, where: v .== wanted.1).replacing(with: 1, where: v .== wanted.2)
            .replacing(with: 1, where: v .== wanted.3)
        let words = unsafeBitCast(hit, to: SIMD2<UInt64>.self)
        return (words[0] &* 0x0102_0408_1020_4080) >> 56 | ((words[1] &* 0x0102_0408_1020_4080) >> 56) << 8
    }

    /// The matches among the 64 bytes from `start` (only those before `end`: a last, short block is
    /// copied out first, so nothing after `end` is read).
    @inline(__always) @usableFromInline
    func matches(in base: UnsafePointer<UInt8>, at start: Int, end: Int) -> UInt64 {
        if start + 64 <= end {
            let p = UnsafeRawPointer(base + start)
            return matches(p.loadUnaligned(as: SIMD16<UInt8>.self))
                | matches(p.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)) << 16
                | matches(p.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt8>.self)) << 32
                | matches(p.loadUnaligned(fromByteOffset: 48, as: SIMD16<UInt8>.self)) << 48
        }
        let count = end - start
        if count <= 0 { return 0 }
        var tail = SIMD64<UInt8>()
        withUnsafeMutableBytes(of: &tail) { $0.baseAddress!.copyMemory(from: base + start, byteCount: count) }
        let all = matches(tail.lowHalf.lowHalf) | matches(tail.lowHalf.highHalf) << 16
            | matches(tail.highHalf.lowHalf) << 32 | matches(tail.highHalf.highHalf) << 48
        return all & (UInt64.max >> UInt64(64 - count))
    }

    /// The index of the first wanted byte in `from..<end`, or `end`.
    @inlinable
    mutating func first(in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var m: UInt64
        let offset = from &- block
        if offset >= 0 && offset < 64 {
            m = bits & (UInt64.max << UInt64(offset))
        } else {
            block = from
            m = matches(in: base, at: from, end: end)
        }
        while m == 0 {
            block += 64
            if block >= end {
                bits = 0
                return end
            }
            m = matches(in: base, at: block, end: end)
        }
        bits = m
        let i = block + m.trailingZeroBitCount
        return i < end ? i : end
    }
}
