/// A set of row indices as a bitset: segment intersections are AND and population count.
public struct RowSet: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let rows: Int

    public init(rows: Int) {
        self.rows = rows
        words = Array(repeating: 0, count: (rows + 63) / 64)
    }

    @inline(__always)
    public mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }

    @inline(__always)
    public func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    public func intersection(_ other: RowSet) -> RowSet {
        var out = self
        for k in words.indices { out.words[k] &= other.words[k] }
        return out
    }

    /// |self ∩ other| without building the intersection.
    @inline(__always)
    public func intersectionCount(_ other: RowSet) -> Int {
        var n = 0
        words.withUnsafeBufferPointer { a in
            other.words.withUnsafeBufferPointer { b in
                for k in 0..<a.count { n &+= (a[k] & b[k]).nonzeroBitCount }
            }
        }
        return n
    }

    /// |self ∩ a ∩ b|.
    @inline(__always)
    public func intersectionCount(_ a: RowSet, _ b: RowSet) -> Int {
        var n = 0
        words.withUnsafeBufferPointer { s in
            a.words.withUnsafeBufferPointer { x in
                b.words.withUnsafeBufferPointer { y in
                    for k in 0..<s.count { n &+= (s[k] & x[k] & y[k]).nonzeroBitCount }
                }
            }
        }
        return n
    }

    /// Calls `body` for each member, in order.
    public func forEach(_ body: (Int) -> Void) {
        for (k, w) in words.enumerated() {
            var bits = w
            while bits != 0 {
                let t = bits.trailingZeroBitCount
                body(k * 64 + t)
                bits &= bits - 1
            }
        }
    }
}
