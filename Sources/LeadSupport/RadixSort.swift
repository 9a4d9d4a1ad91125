/// Sorting large arrays of Double by their bits: an LSD radix sort, several times faster than a
/// comparison sort on the million-value arrays training sorts (AUC, quantiles, grade cut-offs, the
/// score scale).
///
/// Each value maps to a UInt64 key that orders like the number (sign bit flipped for positives, all
/// bits flipped for negatives), then 11-bit digits are sorted from the lowest, skipping a digit on
/// which every key agrees. −0 sorts before +0 and NaNs at the ends; numerically the order is the
/// one `sort()` gives.
public enum RadixSort {
    public static func sorted(_ values: [Double]) -> [Double] {
        var copy = values
        sort(&copy)
        return copy
    }

    /// Sorts `values` in place (two work arrays of the same length, no third).
    public static func sort(_ values: inout [Double]) {
        let n = values.count
        if n < 256 { values.sort(); return }
        var keys = [UInt64](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n {
                let bits = values[i].bitPattern
                buffer[i] = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
            }
            count = n
        }
        var other = [UInt64](repeating: 0, count: n)
        let digitBits: UInt64 = 11
        let buckets = 1 << digitBits
        var counts = [Int](repeating: 0, count: buckets)
        var shift: UInt64 = 0
        while shift < 64 {
            let mask = UInt64(buckets - 1)
            for i in 0..<buckets { counts[i] = 0 }
            keys.withUnsafeBufferPointer { k in
                counts.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n { c[Int((k[i] >> shift) & mask)] += 1 }
                }
            }
            // Every key has the same digit here: nothing to move.
            if counts[Int((keys[0] >> shift) & mask)] != n {
                var total = 0
                for i in 0..<buckets {
                    let c = counts[i]
                    counts[i] = total
                    total += c
                }
                keys.withUnsafeBufferPointer { k in
                    other.withUnsafeMutableBufferPointer { o in
                        counts.withUnsafeMutableBufferPointer { c in
                            for i in 0..<n {
                                let key = k[i]
                                let d = Int((key >> shift) & mask)
                                o[c[d]] = key
                                c[d] += 1
                            }
                        }
                    }
                }
                swap(&keys, &other)
            }
            shift += digitBits
        }
        values.withUnsafeMutableBufferPointer { out in
            for i in 0..<n {
                let key = keys[i]
                out[i] = Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
            }
        }
    }
}
