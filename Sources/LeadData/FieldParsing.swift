#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// How raw field bytes are read as values: missing markers, numbers, booleans and ISO 8601 dates.
///
/// Every function works on bytes, so the scoring loop never builds a String for a numeric field.
public struct FieldParser: Sendable {
    /// Values that mean "missing" after trimming (compared exactly, case-sensitive).
    public let missingMarkers: Set<[UInt8]>

    /// The markers every CSV export uses: empty, NA, N/A, null, NULL.
    public static let standardMissing = ["", "NA", "N/A", "null", "NULL"]

    @usableFromInline let longestMarker: Int
    /// The markers back to back, with their end offsets: a lookup that allocates and retains nothing.
    @usableFromInline let markerBytes: [UInt8]
    @usableFromInline let markerEnds: [Int]
    /// The markers' first bytes (bit b % 64 of word b / 64) and lengths below 64 (bit n), as sets: most
    /// fields are ruled out by two bit tests before any marker is compared.
    @usableFromInline let markerFirstBytes: (UInt64, UInt64, UInt64, UInt64)
    @usableFromInline let markerLengths: UInt64

    public init(extraMissing: [String] = []) {
        missingMarkers = Set((FieldParser.standardMissing + extraMissing).map { Array($0.utf8) })
        longestMarker = missingMarkers.map(\.count).max() ?? 0
        let list = missingMarkers.filter { !$0.isEmpty }.sorted { $0.lexicographicallyPrecedes($1) }
        markerBytes = list.flatMap { $0 }
        var ends: [Int] = []
        var total = 0
        for m in list { total += m.count; ends.append(total) }
        markerEnds = ends
        var first: [UInt64] = [0, 0, 0, 0]
        var lengths: UInt64 = 0
        for m in list {
            first[Int(m[0] >> 6)] |= 1 << UInt64(m[0] & 63)
            if m.count < 64 { lengths |= 1 << UInt64(m.count) }
        }
        markerFirstBytes = (first[0], first[1], first[2], first[3])
        markerLengths = lengths
    }

    // MARK: - Trimming and missing

    @inlinable @inline(__always)
    public static func trim(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var lo = 0
        var hi = b.count
        while lo < hi, isSpace(b[lo]) { lo += 1 }
        while hi > lo, isSpace(b[hi - 1]) { hi -= 1 }
        if lo == 0 && hi == b.count { return b }
        return UnsafeBufferPointer(rebasing: b[lo..<hi])
    }

    @inlinable @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// True when the trimmed bytes are one of the missing markers.
    @inlinable @inline(__always)
    public func isMissing(_ trimmed: UnsafeBufferPointer<UInt8>) -> Bool {
        if trimmed.isEmpty { return true }
        let n = trimmed.count
        if n > longestMarker { return false }
        if n < 64 && markerLengths & (1 << UInt64(n)) == 0 { return false }
        let b = trimmed[0]
        let firstWord: UInt64
        switch b >> 6 {
        case 0: firstWord = markerFirstBytes.0
        case 1: firstWord = markerFirstBytes.1
        case 2: firstWord = markerFirstBytes.2
        default: firstWord = markerFirstBytes.3
        }
        if firstWord & (1 << UInt64(b & 63)) == 0 { return false }
        return markerBytes.withUnsafeBufferPointer { bytes in
            markerEnds.withUnsafeBufferPointer { ends in
                var start = 0
                for end in ends {
                    if end - start == trimmed.count {
                        var equal = true
                        for k in 0..<trimmed.count where bytes[start + k] != trimmed[k] { equal = false; break }
                        if equal { return true }
                    }
                    start = end
                }
                return false
            }
        }
    }

    // MARK: - Numbers

    /// Outcome of reading a field as a number.
    public enum NumberResult: Equatable, Sendable {
        case value(Double)
        /// Not a decimal number at all (text, a date, "inf", "NaN", hex).
        case notANumber
        /// A well-formed decimal whose magnitude overflows a Double (1e309).
        case outOfRange
    }

    /// Reads a plain decimal number: optional sign, digits with an optional point, optional exponent.
    ///
    /// `NaN`, `inf`, hexadecimal and thousands separators are not numbers here: a CRM export that
    /// holds them has a problem a person should see. The value is correctly rounded: one pass checks
    /// the grammar and gathers the significant digits as an integer w and a power of ten e; when
    /// w ≤ 2^53 and |e| ≤ 22 both are exact doubles, so w × 10^e or w / 10^−e is one correctly rounded
    /// operation, the double `strtod` returns (Clinger's fast path); zero is ±0 at any exponent the
    /// grammar lets through; the rest (more than 19 significant digits, w > 2^53, |e| > 22) is `strtod`'s.
    public static func number(_ trimmed: UnsafeBufferPointer<UInt8>) -> NumberResult {
        let n = trimmed.count
        if n == 0 || n > 400 { return .notANumber }
        var i = 0
        var negative = false
        if trimmed[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if trimmed[0] == UInt8(ascii: "+") { i = 1 }
        var w: UInt64 = 0
        var significant = 0     // digits in w (leading zeros not counted)
        var exponent = 0        // of ten, from digits after the point, then the exponent part
        var digits = 0          // every digit of the mantissa, for the grammar
        var fast = true         // false: more than 19 significant digits or a huge exponent (strtod's case)
        while i < n {
            let d = trimmed[i] &- 48
            if d >= 10 { break }
            if w != 0 || d != 0 {
                if significant == 19 { fast = false } else { w = w &* 10 &+ UInt64(d); significant += 1 }
            }
            digits += 1
            i += 1
        }
        if i < n, trimmed[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = trimmed[i] &- 48
                if d >= 10 { break }
                exponent -= 1
                if w != 0 || d != 0 {
                    if significant == 19 { fast = false } else { w = w &* 10 &+ UInt64(d); significant += 1 }
                }
                digits += 1
                i += 1
            }
        }
        if digits == 0 { return .notANumber }
        if i < n, trimmed[i] == UInt8(ascii: "e") || trimmed[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < n, trimmed[i] == UInt8(ascii: "+") { i += 1 } else if i < n, trimmed[i] == UInt8(ascii: "-") { expNegative = true; i += 1 }
            var e = 0
            var expDigits = 0
            while i < n {
                let d = trimmed[i] &- 48
                if d >= 10 { break }
                if e <= 10_000 { e = e * 10 + Int(d) }
                if e > 10_000 { fast = false }  // far outside the fast path (and strtod clamps)
                expDigits += 1
                i += 1
            }
            if expDigits == 0 { return .notANumber }
            exponent += expNegative ? -e : e
        }
        if i != n { return .notANumber }
        if fast {
            if w <= 1 << 53, exponent >= -22, exponent <= 22 {
                var value = Double(w)
                if exponent > 0 { value *= powersOfTen[exponent] } else if exponent < 0 { value /= powersOfTen[-exponent] }
                return .value(negative ? -value : value)
            }
            // Zero is zero at any exponent the grammar allows through this path.
            if w == 0 && exponent >= -400 && exponent <= 400 { return .value(negative ? -0.0 : 0.0) }
        }
        var stack = [CChar](repeating: 0, count: n + 1)
        for k in 0..<n { stack[k] = CChar(bitPattern: trimmed[k]) }
        let value = strtod(stack, nil)
        if !value.isFinite { return .outOfRange }
        return .value(value)
    }

    /// The value of a field of 1 to 15 decimal digits and nothing else (`407`, `0028`), or nil: what
    /// `number` returns for it (below 10^15 < 2^53 the whole number is an exact double), without
    /// its grammar's bookkeeping. Lead data's numbers are mostly counts.
    @inlinable @inline(__always)
    public static func wholeNumber(_ trimmed: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = trimmed.count
        guard n > 0 && n <= 15 else { return nil }
        var w: UInt64 = 0
        for i in 0..<n {
            let d = trimmed[i] &- 48
            if d >= 10 { return nil }
            w = w &* 10 &+ UInt64(d)
        }
        return Double(w)
    }

    /// 10^0 … 10^22, each exact (5^22 < 2^53).
    private static let powersOfTen: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// True when the bytes are valid UTF-8 (ASCII, whose bytes are all below 0x80, is checked eight
    /// bytes at a time without decoding).
    @inline(__always)
    public static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        var high: UInt64 = 0
        var i = 0
        while i &+ 8 <= bytes.count {
            high |= UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            i &+= 8
        }
        while i < bytes.count {
            high |= UInt64(p[i])
            i &+= 1
        }
        return high & 0x8080_8080_8080_8080 == 0 || String(validating: bytes, as: UTF8.self) != nil
    }

    // MARK: - Booleans

    /// true/false, yes/no (any case); nil otherwise.
    public static func boolean(_ trimmed: UnsafeBufferPointer<UInt8>) -> Bool? {
        // Case-insensitive comparison without building a lowered copy.
        @inline(__always) func equals(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == trimmed.count else { return false }
            let w = word.utf8Start
            for k in 0..<trimmed.count {
                let c = trimmed[k]
                if (c >= 65 && c <= 90 ? c + 32 : c) != w[k] { return false }
            }
            return true
        }
        switch trimmed.count {
        case 2: return equals("no") ? false : nil
        case 3: return equals("yes") ? true : nil
        case 4: return equals("true") ? true : nil
        case 5: return equals("false") ? false : nil
        default: return nil
        }
    }

    // MARK: - Dates

    /// An ISO 8601 date or date-time (`2024-03-01`, `2024-03-01T14:05:00Z`, `2024-03-01 14:05`,
    /// with an optional offset), as days since 1970-01-01 UTC (fractional for times).
    public static func date(_ trimmed: UnsafeBufferPointer<UInt8>) -> Double? {
        let n = trimmed.count
        guard n >= 10 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= n else { return nil }
            var v = 0
            for k in from..<(from + count) {
                let d = trimmed[k] &- 48
                if d >= 10 { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }
        guard let y = digits(0, 4), trimmed[4] == UInt8(ascii: "-"), let m = digits(5, 2),
              trimmed[7] == UInt8(ascii: "-"), let d = digits(8, 2),
              (1...12).contains(m), d >= 1, d <= daysInMonth(y, m) else { return nil }
        var days = Double(daysFromCivil(y, m, d))
        if n == 10 { return days }
        guard trimmed[10] == UInt8(ascii: "T") || trimmed[10] == UInt8(ascii: " "),
              let hh = digits(11, 2), n >= 16, trimmed[13] == UInt8(ascii: ":"), let mm = digits(14, 2),
              hh < 24, mm < 60 else { return nil }
        var i = 16
        var seconds = Double(hh * 3600 + mm * 60)
        if i < n, trimmed[i] == UInt8(ascii: ":") {
            guard let ss = digits(i + 1, 2), ss < 61 else { return nil }
            seconds += Double(ss)
            i += 3
            if i < n, trimmed[i] == UInt8(ascii: ".") {
                i += 1
                var scale = 0.1
                var any = false
                while i < n, trimmed[i] &- 48 < 10 {
                    seconds += Double(trimmed[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                if !any { return nil }
            }
        }
        if i < n {
            if trimmed[i] == UInt8(ascii: "Z") {
                i += 1
            } else if trimmed[i] == UInt8(ascii: "+") || trimmed[i] == UInt8(ascii: "-") {
                let sign: Double = trimmed[i] == UInt8(ascii: "+") ? 1 : -1
                guard let oh = digits(i + 1, 2) else { return nil }
                var om = 0
                if i + 3 < n && trimmed[i + 3] == UInt8(ascii: ":") {
                    guard let v = digits(i + 4, 2) else { return nil }
                    om = v
                    i += 6
                } else if let v = digits(i + 3, 2) {
                    om = v
                    i += 5
                } else {
                    i += 3
                }
                seconds -= sign * Double(oh * 3600 + om * 60)
            }
        }
        guard i == n else { return nil }
        days += seconds / 86400
        return days
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil-days algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date (year, month, day) of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// "YYYY-MM-DD" for a day count since 1970-01-01.
    public static func isoDate(days: Int) -> String {
        let (y, m, d) = civilFromDays(days)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses a date given on the command line (`--holdout-after 2024-06-30`).
    public static func date(_ text: String) -> Double? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { p in date(UnsafeBufferPointer(p)) }
    }
}
