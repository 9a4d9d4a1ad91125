import Testing
@testable import LeadData

/// `CSVText.writeShortest` writes exactly what the standard library's printer writes (`write(to:)`, which
/// it called alone before; `description` for every double but NaNs, whose sign and signalling it shows):
/// its own digits (`writeShortestFraction`) in [10⁻⁴, 1), the standard library's elsewhere. A scratch
/// run of the same comparisons on 2 billion random doubles of the range is reported in BENCHMARKS.md (#15).
@Suite struct ShortestDigitsTests {
    /// The standard library's text for `x`.
    static func reference(_ x: Double) -> String {
        var text = ""
        x.write(to: &text)
        return text
    }

    /// What `writeShortest` writes for `x`, and whether its own digits wrote it.
    static func written(_ x: Double) -> (text: String, fast: Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CSVText.maximumNumberText) { b in
            let p = b.baseAddress!
            let fast = CSVText.writeShortestFraction(x, to: p) != 0
            let count = CSVText.writeShortest(x, to: p)
            return (String(decoding: UnsafeBufferPointer(start: p, count: count), as: UTF8.self), fast)
        }
    }

    /// Compares every value with `description`; returns how many the fast path wrote.
    static func compare(_ values: some Sequence<Double>) -> (checked: Int, fast: Int) {
        var checked = 0, fast = 0, failures = 0
        for x in values {
            let (text, wasFast) = written(x)
            checked += 1
            if wasFast { fast += 1 }
            if text != reference(x) {
                failures += 1
                if failures <= 10 { Issue.record("\(reference(x)) (bits \(x.bitPattern)) written as \(text)") }
            }
        }
        return (checked, fast)
    }

    /// A double of the fast path's range from its significand c (2⁵² ≤ c < 2⁵³) and n: c · 2⁻ⁿ.
    static func double(significand c: UInt64, n: Int) -> Double {
        Double(bitPattern: UInt64(1075 - n) << 52 | c & (1 << 52 - 1))
    }

    /// SplitMix64 (Steele, Lea and Flood), seeded: the same doubles on every run.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ z >> 30) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ z >> 27) &* 0x94D0_49BB_1331_11EB
            return z ^ z >> 31
        }
    }

    @Test func randomBitPatternsOfTheRange() {
        var g = Generator(state: 15)
        let low = (0x1p-14 as Double).bitPattern, high = (1.0 as Double).bitPattern
        let (checked, fast) = Self.compare((0..<2_000_000).lazy.map { _ in Double(bitPattern: low + g.next() % (high - low)) })
        // [2⁻¹⁴, 10⁻⁴) is exponent notation, left to the standard library: about 4.6% of the bit patterns.
        #expect(checked == 2_000_000 && fast > 1_900_000)
    }

    @Test func fewDigitDecimalsAndTheirNeighbours() {
        // d · 10⁻ʲ for d of one to three digits, and the 16 doubles either side of each.
        var values: [Double] = []
        for j in 1...6 {
            for d in 1...999 {
                let x = Double("\(d)e-\(j)")!
                guard x >= 0x1p-14, x < 1 else { continue }
                for ulps in -16...16 { values.append(Double(bitPattern: UInt64(Int64(x.bitPattern) + Int64(ulps)))) }
            }
        }
        let (checked, fast) = Self.compare(values)
        #expect(checked > 130_000 && fast > checked * 9 / 10)
    }

    @Test func significandsOfFewBitsWhereTiesAre() {
        // Every significand with at most 16 significant bits at every exponent: x · 10ᵐ can be a whole
        // number and a half only for these (the tie goes to the even digit), and short ones are exact.
        var values: [Double] = []
        for n in CSVText.fractionExponents {
            for top in 0..<UInt64(1 << 15) { values.append(Self.double(significand: 1 << 52 | top << 37, n: n)) }
        }
        let (checked, fast) = Self.compare(values)
        #expect(checked == 14 << 15 && fast > checked * 9 / 10)
    }

    /// The doubles whose midpoints with a neighbour (or, with `ties`, whose own value) come closest to a
    /// decimal cut: (2c + 1) · 5ᵐ⁻ʲ / 2ⁿ⁻ᵐ⁺ʲ⁺¹ within r / 2ⁿ⁻ᵐ⁺ʲ⁺¹ of a whole number (c · 5ᵐ⁻ʲ / 2ⁿ⁻ᵐ⁺ʲ
    /// of a whole number and a half), r = 1 … `residues`, for j = 0 … 17 (the cut at the last digit,
    /// the one before, …): where a printer working with rounded products would be most likely to err.
    /// Solved exactly: 5ᵏ is odd, so it has an inverse modulo a power of two.
    static func hardest(ties: Bool, residues: UInt64, perResidue: Int) -> [Double] {
        func inverse(_ a: UInt64) -> UInt64 {
            var y = a
            for _ in 0..<6 { y = y &* (2 &- a &* y) }  // Newton: each step doubles the correct low bits
            return y
        }
        var values: [Double] = []
        for (index, n) in CSVText.fractionExponents.enumerated() {
            let scale = CSVText.fractionScales[index]
            var five: UInt64 = scale.fivePower
            for j in 0...17 where j <= scale.decimals {
                defer { five /= 5 }
                let bits = Int(scale.shift) + j + (ties ? 0 : 1)
                guard bits < 64 else { continue }
                let modulus: UInt64 = 1 << bits, mask = modulus - 1
                let inverseFive = inverse(five)
                for r in 1...residues {
                    for target in ties ? [modulus / 2 + r, modulus / 2 - r] : [r, modulus - r] {
                        // y ≡ target · 5⁻ᵏ (mod 2ᵇⁱᵗˢ), y = 2c + 1 in [2⁵³, 2⁵⁴) or y = c in [2⁵², 2⁵³)
                        let low: UInt64 = ties ? 1 << 52 : 1 << 53
                        var y = low + ((target &* inverseFive &- low) & mask)
                        var count = 0
                        while y < low << 1, count < perResidue {
                            if ties || y & 1 == 1 { values.append(Self.double(significand: ties ? y : y >> 1, n: n)) }
                            y += modulus
                            count += 1
                        }
                    }
                }
            }
        }
        return values
    }

    @Test(arguments: [false, true])
    func doublesClosestToADecimalCut(ties: Bool) {
        let values = Self.hardest(ties: ties, residues: 8, perResidue: 256)
        let (checked, fast) = Self.compare(values)
        #expect(checked > 100_000 && fast > checked * 9 / 10)
    }

    @Test func edgesOfTheRangeAndEverythingOutside() {
        let inside: [Double] = [
            0.1, 0.2, 0.3, 0.7, 0.001, 0.0001, 0.00010000000000000002, 0.0009999999999999998,
            (1.0).nextDown, (0.5).nextUp, (0.5).nextDown, (0.1).nextDown, (0.1).nextUp, 0.26068306039877476,
            0.5000076293945312, (0x1p-13).nextUp, (0x1p-13).nextDown, 0.9, 0.99, 0.999999, 0.123456789,
        ]
        for x in inside { #expect(Self.written(x) == (x.description, true), "\(x.description)") }
        let outside: [Double] = [
            0, -0.0, 1, -1, 0.5, 0.25, 0x1p-14, (0x1p-14).nextUp, (0.0001).nextDown, 9e-05, 1e-05, 5.4e-20, -0.3, 2, 1e300,
            0x1p53, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .infinity,
            -.infinity, .nan, -.nan, .signalingNaN,
        ]
        for x in outside { #expect(Self.written(x) == (Self.reference(x), false), "\(x.description)") }
    }

    @Test func scalesAreExact() {
        for (index, n) in CSVText.fractionExponents.enumerated() {
            let scale = CSVText.fractionScales[index]
            var ten: UInt128 = 1
            for _ in 0..<scale.decimals { ten *= 10 }
            let two = (1 as UInt128) << n
            #expect(ten >= two && ten < 10 * two && Int(scale.shift) == n - scale.decimals)
            #expect(UInt128(scale.fivePower) << scale.decimals == ten)
        }
    }
}
