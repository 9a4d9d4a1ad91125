// MARK: - Shortest digits of a fraction
//
// `score` writes one probability a row, and the standard library's printer (`description`) was about
// 570 of the 4,059 instructions a row cost (#15). Probabilities are almost all in [10⁻⁴, 1), where
// `description` writes "0." and the shortest digits that read back as exactly x, the closest to x
// when several are as short (the even one on an exact tie). That range is small enough for exact
// integer arithmetic: each binary exponent needs one power of five below 2⁴⁷, so the decision is
// made on exact products, with no rounding to reason about. Everything else (0, 1, negatives,
// infinities, nan, exponent notation, powers of two) stays with the standard library.

extension CSVText {
    /// How x = c · 2⁻ⁿ (c the 53-bit significand) is scaled to whole decimal digits, for one n:
    /// x · 10ᵐ = c · 5ᵐ / 2ⁿ⁻ᵐ, with m the least whole number such that 10ᵐ ≥ 2ⁿ, so that the gap
    /// between neighbouring doubles (2⁻ⁿ) scaled by 10ᵐ is at least 1 and below 10.
    struct FractionScale {
        /// 5ᵐ (below 2⁴⁷ for m ≤ 20).
        let fivePower: UInt64
        /// m: how many decimals the scaled value's unit is.
        let decimals: Int
        /// n − m: the scaled value is the product shifted right by this many bits (37 … 46).
        let shift: UInt64
    }

    /// The doubles the fast path takes: x = c · 2⁻ⁿ with n in 53 … 66, that is 2⁻¹⁴ ≤ x < 1.
    static let fractionExponents = 53...66

    /// `FractionScale` for each n of `fractionExponents`, computed with exact integers.
    static let fractionScales: [FractionScale] = fractionExponents.map { n in
        var decimals = 0
        var power: UInt128 = 1
        while power < (1 as UInt128) << n {
            power *= 10
            decimals += 1
        }
        var five: UInt64 = 1
        for _ in 0..<decimals { five *= 5 }
        return FractionScale(fivePower: five, decimals: decimals, shift: UInt64(n - decimals))
    }

    /// Writes what `description` writes for x at `p` (room for `maximumNumberText`) when
    /// 10⁻⁴ ≤ x < 1 and x is not a power of two, and returns the count written; returns 0 and
    /// leaves the text to the standard library otherwise. Bytes past the count may be overwritten.
    ///
    /// In quarters of the unit 10⁻ᵐ, x is v = 4c · 5ᵐ / 2ⁿ⁻ᵐ and the midpoints between x and its
    /// neighbours are (4c ∓ 2) · 5ᵐ / 2ⁿ⁻ᵐ (the products exact in 128 bits, the quotients kept as
    /// whole part and whether exact): a whole number d of units reads back as x when 4d lies between
    /// the midpoints, inclusive when c is even (round half to even then gives x), exclusive when odd.
    /// The interval is at least one unit wide and below ten, so it holds at most one multiple of ten:
    /// if it holds one (sp10 or tp10, around s = ⌊x · 10ᵐ⌋), that is the shortest; otherwise the
    /// shortest are its whole units and the closest is s or s + 1 (s + ½ exactly: the even one).
    static func writeShortestFraction(_ x: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = x.bitPattern
        let n = 1075 &- Int(truncatingIfNeeded: bits >> 52)  // the sign bit makes n negative
        let fraction = bits & (1 << 52 &- 1)
        guard fractionExponents.contains(n), fraction != 0 else { return 0 }
        let scale = fractionScales[n &- fractionExponents.lowerBound]
        let c = fraction | 1 << 52
        let odd = c & 1 != 0

        // 4c · 5ᵐ and the midpoints (4c ∓ 2) · 5ᵐ, as (high, low) words; then ⌊· / 2ⁿ⁻ᵐ⌋ and whether exact.
        let (high, low) = (c << 2).multipliedFullWidth(by: scale.fivePower)
        let half = scale.fivePower << 1
        let (belowLow, borrow) = low.subtractingReportingOverflow(half)
        let belowHigh = high &- (borrow ? 1 : 0)
        let (aboveLow, carry) = low.addingReportingOverflow(half)
        let aboveHigh = high &+ (carry ? 1 : 0)
        let shift = scale.shift
        let remainder: UInt64 = 1 &<< shift &- 1
        let v = high &<< (64 &- shift) | low &>> shift
        let below = belowHigh &<< (64 &- shift) | belowLow &>> shift
        let above = aboveHigh &<< (64 &- shift) | aboveLow &>> shift
        // 4d reads back as x exactly when lowest ≤ 4d ≤ highest.
        let lowest = below &+ (odd || belowLow & remainder != 0 ? 1 : 0)
        let highest = above &- (odd && aboveLow & remainder == 0 ? 1 : 0)

        let s = v >> 2
        let sp10 = s / 10 &* 10
        let sp10In = sp10 << 2 >= lowest
        let tp10In = (sp10 &+ 10) << 2 <= highest
        var d: UInt64
        if sp10In != tp10In {
            d = sp10In ? sp10 : sp10 &+ 10
        } else {
            let sIn = s << 2 >= lowest
            let tIn = (s &+ 1) << 2 <= highest
            if sIn != tIn {
                d = sIn ? s : s &+ 1
            } else {
                // Both: the closer, x · 10ᵐ against s + ½ (v's two low bits); an exact tie goes to the even one.
                let quarters = v & 3
                d = quarters < 2 || (quarters == 2 && low & remainder == 0 && s & 1 == 0) ? s : s &+ 1
            }
        }

        // d · 10⁻ᵐ with d of 16 or 17 digits (d ≥ 2⁵² − 9 and x · 10ᵐ < 10 · 2⁵³): "0.", up to three
        // zeros, the digits without their trailing zeros. Below 10⁻⁴ it is exponent notation.
        var decimals = scale.decimals
        if d >= 100_000_000_000_000_000 {  // 10¹⁷ = (10¹⁷ − 10) + 10
            d /= 10
            decimals &-= 1
        }
        guard d >= 1_000_000_000_000_000 else { return 0 }
        let zeros = decimals &- (d >= 10_000_000_000_000_000 ? 17 : 16)
        guard zeros >= 0, zeros <= 3 else { return 0 }
        let upper = d / 100_000_000
        let first = upper / 100_000_000
        let middle = eightDigits(upper &- first &* 100_000_000)
        let last = eightDigits(d &- upper &* 100_000_000)
        // Seventeen digits end at 2 + m; a sixteen-digit d's leading "0" lands on a zero or on the ".".
        let raw = UnsafeMutableRawPointer(p)
        let asciiZeros: UInt64 = 0x3030_3030_3030_3030
        raw.storeBytes(of: asciiZeros.littleEndian, toByteOffset: 2, as: UInt64.self)
        let start = 2 &+ decimals &- 17
        p[start] = 0x30 &+ UInt8(truncatingIfNeeded: first)
        raw.storeBytes(of: middle.littleEndian, toByteOffset: start &+ 1, as: UInt64.self)
        raw.storeBytes(of: last.littleEndian, toByteOffset: start &+ 9, as: UInt64.self)
        p[0] = UInt8(ascii: "0")
        p[1] = UInt8(ascii: ".")
        // Trailing "0"s are the high bytes equal to 0x30.
        var trailing = (last ^ asciiZeros).leadingZeroBitCount >> 3
        if trailing == 8 { trailing &+= (middle ^ asciiZeros).leadingZeroBitCount >> 3 }
        return 2 &+ decimals &- trailing
    }

    /// n < 10⁸ as eight ASCII digits, the first in the lowest byte: split into two halves of four
    /// digits (one per 32-bit lane), each into two pairs (16-bit lanes), each pair into two digits
    /// (bytes). ⌊y / 100⌋ = (y · 10,486) >> 20 for y < 10⁴ and ⌊y / 10⌋ = (y · 103) >> 10 for y < 100;
    /// no lane's product reaches into the next.
    @inline(__always)
    static func eightDigits(_ n: UInt64) -> UInt64 {
        var v = n / 10_000 | (n % 10_000) << 32
        let hundreds = (v &* 10_486) >> 20 & 0x0000_007F_0000_007F
        v = hundreds | (v &- hundreds &* 100) << 16
        let tens = (v &* 103) >> 10 & 0x000F_000F_000F_000F
        v = tens | (v &- tens &* 10) << 8
        return v | 0x3030_3030_3030_3030
    }
}
