/// The kind of values a column holds, inferred from the data or set with `--type`.
public enum ColumnType: String, Codable, Sendable, CaseIterable {
    case numeric, boolean, categorical, date
}

/// Everything one pass over a column learns: how its values parse, their counts and moments.
///
/// Numeric moments use Welford's update, stable for large counts and large offsets.
public struct ColumnProfile: Sendable {
    public let name: String
    public private(set) var missing = 0
    /// Missing values among training rows only (the missing level's count).
    public private(set) var trainingMissing = 0
    public private(set) var nonMissing = 0
    public private(set) var numericCount = 0
    public private(set) var booleanCount = 0
    public private(set) var dateCount = 0
    /// Values that are well-formed decimals too large for a Double (1e309).
    public private(set) var outOfRangeCount = 0
    /// First line where a value was not numeric, with the value (for messages).
    public private(set) var firstNonNumeric: (line: Int, value: String)?
    /// Distinct trimmed values (looked up by bytes: no String is built for a value seen before) and
    /// their counts, until `levelLimit` distinct values are seen.
    private var levelTable = ByteKeyTable()
    private var levelNames: [String] = []
    private var counts: [Int] = []
    public private(set) var tooManyLevels = false

    /// Counts of each trimmed value.
    public var levelCounts: [String: Int] {
        var out: [String: Int] = [:]
        for (name, n) in zip(levelNames, counts) { out[name] = n }
        return out
    }

    public var distinctLevels: Int { levelNames.count }
    /// Moments of the numeric (or boolean as 0/1) values.
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var m2 = 0.0
    public private(set) var minimum = Double.infinity
    public private(set) var maximum = -Double.infinity

    public let levelLimit: Int

    public init(name: String, levelLimit: Int = 10_000) {
        self.name = name
        self.levelLimit = levelLimit
    }

    /// Population variance (divides by n), the one StandardScaler uses.
    public var variance: Double { count > 0 ? m2 / Double(count) : 0 }
    public var standardDeviation: Double { variance.squareRoot() }

    /// Observes one trimmed field. `line` is used for messages only. Rows outside the training part
    /// (the holdout) count towards type inference only, never towards levels or moments.
    public mutating func observe(_ trimmed: UnsafeBufferPointer<UInt8>, parser: FieldParser, line: Int,
                                 training: Bool) {
        if parser.isMissing(trimmed) {
            missing += 1
            if training { trainingMissing += 1 }
            return
        }
        nonMissing += 1
        switch FieldParser.number(trimmed) {
        case .value(let v):
            numericCount += 1
            if training { addMoment(v) }
        case .outOfRange:
            outOfRangeCount += 1
            if firstNonNumeric == nil { firstNonNumeric = (line, String(decoding: trimmed, as: UTF8.self)) }
        case .notANumber:
            if firstNonNumeric == nil { firstNonNumeric = (line, String(decoding: trimmed, as: UTF8.self)) }
            if let b = FieldParser.boolean(trimmed) {
                booleanCount += 1
                if training { addMoment(b ? 1 : 0) }
            } else if FieldParser.date(trimmed) != nil {
                dateCount += 1
            }
        }
        if training && !tooManyLevels {
            if let k = levelTable.value(for: trimmed) {
                counts[k] += 1
            } else {
                let key = String(decoding: trimmed, as: UTF8.self)
                levelTable.set(key, levelNames.count)
                levelNames.append(key)
                counts.append(1)
                if levelNames.count > levelLimit {
                    tooManyLevels = true
                    levelTable = ByteKeyTable()
                    levelNames = []
                    counts = []
                }
            }
        }
    }

    /// Adds what `other` saw (the next stretch of the same column) to this profile. Counts add up,
    /// levels merge, moments combine by Chan et al.'s pairwise update, the first non-number is the
    /// earlier one. Merging chunk profiles in file order gives the same result whatever the thread count.
    public mutating func merge(_ other: ColumnProfile) {
        missing += other.missing
        trainingMissing += other.trainingMissing
        nonMissing += other.nonMissing
        numericCount += other.numericCount
        booleanCount += other.booleanCount
        dateCount += other.dateCount
        outOfRangeCount += other.outOfRangeCount
        if firstNonNumeric == nil { firstNonNumeric = other.firstNonNumeric }
        if other.tooManyLevels { tooManyLevels = true }
        if !tooManyLevels {
            for (name, n) in zip(other.levelNames, other.counts) {
                if let k = levelTable.value(for: name) {
                    counts[k] += n
                } else {
                    levelTable.set(name, levelNames.count)
                    levelNames.append(name)
                    counts.append(n)
                }
            }
            if levelNames.count > levelLimit { tooManyLevels = true }
        }
        if tooManyLevels {
            levelTable = ByteKeyTable()
            levelNames = []
            counts = []
        }
        if other.count > 0 {
            if count == 0 {
                count = other.count; mean = other.mean; m2 = other.m2
            } else {
                let n = Double(count + other.count)
                let delta = other.mean - mean
                mean += delta * Double(other.count) / n
                m2 += other.m2 + delta * delta * Double(count) * Double(other.count) / n
                count += other.count
            }
            minimum = min(minimum, other.minimum)
            maximum = max(maximum, other.maximum)
        }
    }

    private mutating func addMoment(_ v: Double) {
        count += 1
        let delta = v - mean
        mean += delta / Double(count)
        m2 += delta * (v - mean)
        if v < minimum { minimum = v }
        if v > maximum { maximum = v }
    }

    /// The type the values support: numeric when every value is a number, boolean when every value is
    /// true/false/yes/no, date when every value is an ISO date, categorical otherwise.
    public var inferredType: ColumnType {
        if nonMissing == 0 { return .categorical }
        if numericCount == nonMissing { return .numeric }
        if booleanCount == nonMissing { return .boolean }
        if dateCount == nonMissing { return .date }
        return .categorical
    }

    /// True when most values are numbers but some are not: worth a notice, since a typo in one cell
    /// turns a numeric column into a categorical one.
    public var looksMostlyNumeric: Bool {
        inferredType == .categorical && nonMissing >= 20 && Double(numericCount) >= 0.95 * Double(nonMissing)
    }
}
