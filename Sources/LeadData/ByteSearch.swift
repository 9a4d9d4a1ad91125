/// Finding the next byte of a small set eight bytes at a time (SWAR: "SIMD within a register").
///
/// A lead file's bytes are mostly ordinary; the parsers only stop at delimiters, quotes and line
/// ends. Loading eight bytes as one word and testing all of them at once against each wanted byte
/// takes a few instructions per word instead of a compare-and-branch per byte.
@usableFromInline
struct ByteSearch {
    @usableFromInline let patterns: (UInt64, UInt64, UInt64, UInt64)

    /// Up to four bytes to look for (repeat one to look for fewer).
    @inlinable
    init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        @inline(__always) func spread(_ x: UInt8) -> UInt64 { UInt64(x) &* 0x0101_0101_0101_0101 }
        patterns = (spread(a), spread(b), spread(c), spread(d))
    }

    /// High bit set in every byte of `x` that is zero. A bit above the lowest may be wrong (the
    /// borrow of a zero byte runs on), so only the lowest set bit is used.
    @inline(__always) @usableFromInline
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The index of the first byte in `from..<end` that is one of the four, or `end`.
    @inlinable
    func first(in base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i + 8 <= end {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let hit = ByteSearch.zeroBytes(w ^ patterns.0) | ByteSearch.zeroBytes(w ^ patterns.1)
                | ByteSearch.zeroBytes(w ^ patterns.2) | ByteSearch.zeroBytes(w ^ patterns.3)
            if hit != 0 { return i + hit.trailingZeroBitCount >> 3 }
            i += 8
        }
        let (a, b, c, d) = (UInt8(truncatingIfNeeded: patterns.0), UInt8(truncatingIfNeeded: patterns.1),
                            UInt8(truncatingIfNeeded: patterns.2), UInt8(truncatingIfNeeded: patterns.3))
        while i < end {
            let x = base[i]
            if x == a || x == b || x == c || x == d { return i }
            i += 1
        }
        return end
    }
}
