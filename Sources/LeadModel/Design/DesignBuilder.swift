import LeadData

/// Turns column profiles from the first pass into a `Design` (and the schema and notices that say
/// what happened to each column).
struct DesignBuilder {
    var minLevelCount: Int
    var types: [String: ColumnType]

    struct Output {
        var design: Design
        var schema: [SchemaColumn]
        var notices: [String]
    }

    /// Builds the design from `profiles` (feature columns, in file order).
    func build(_ profiles: [ColumnProfile]) -> Output {
        var columns: [ColumnEncoding] = []
        var termNames: [String] = []
        var schema: [SchemaColumn] = []
        var notices: [String] = []

        for profile in profiles {
            let type = types[profile.name] ?? profile.inferredType
            var entry = SchemaColumn(name: profile.name, type: type, role: .feature, missing: profile.missing,
                                     distinct: profile.tooManyLevels ? nil : profile.distinctLevels, note: nil)
            func drop(_ note: String) {
                entry.role = .dropped
                entry.note = note
                notices.append("column '\(profile.name)' dropped: \(note)")
            }
            if profile.looksMostlyNumeric && types[profile.name] == nil, let first = profile.firstNonNumeric {
                notices.append("column '\(profile.name)' looks numeric but \(profile.nonMissing - profile.numericCount) value(s) are not numbers (first at line \(first.line): \"\(first.value)\"); treated as categorical. Use --type \(profile.name)=numeric to report those values as errors instead.")
            }
            switch type {
            case .date:
                drop("a date column is not a model term (use it with --time for a holdout by date)")
            case .numeric, .boolean:
                var sd = profile.standardDeviation
                if profile.count == 0 {
                    drop("no values in the training rows")
                } else if !(profile.maximum - profile.minimum).isFinite || !profile.mean.isFinite {
                    // Values near ±1.8e308: their range (or mean) is beyond a 64-bit float, so no
                    // standardized value could be computed.
                    drop("its values (\(profile.minimum) to \(profile.maximum)) span more than a 64-bit float can hold")
                } else if profile.maximum == profile.minimum || !(sd > 0) {
                    drop("constant (every value is \(profile.minimum))")
                } else {
                    if !sd.isFinite {
                        // The variance overflows (values beyond ~1e154) though the column varies:
                        // half the range (finite here, and at least the sd) scales it instead.
                        sd = profile.maximum / 2 - profile.minimum / 2
                        notices.append("column '\(profile.name)': its variance overflows a 64-bit float (values from \(profile.minimum) to \(profile.maximum)), so it is scaled by half its range (\(sd)) instead of its standard deviation")
                    } else if sd < 1e-9 * Swift.max(abs(profile.minimum), abs(profile.maximum)) {
                        notices.append("column '\(profile.name)' barely varies (standard deviation \(sd) around \(profile.mean)): its coefficient per unit, and odds ratio, are too large to mean anything; scores use the standardized form and are not affected")
                    }
                    let term = termNames.count
                    termNames.append(profile.name)
                    var missingTerm: Int?
                    if profile.trainingMissing > 0 {
                        missingTerm = termNames.count
                        termNames.append("\(profile.name)=\(ColumnEncoding.missingName)")
                    }
                    let encoding = NumericEncoding(term: term, missingTerm: missingTerm,
                                                   standardization: Standardization(mean: profile.mean, scale: sd),
                                                   minimum: profile.minimum, maximum: profile.maximum)
                    columns.append(ColumnEncoding(name: profile.name, kind: type == .boolean ? .boolean(encoding) : .numeric(encoding),
                                                  missingCount: profile.trainingMissing))
                }
            case .categorical:
                if profile.tooManyLevels {
                    drop("more than \(profile.levelLimit) distinct values: an identifier, not a pattern (exclude it, or pass it with --id)")
                    break
                }
                var counts = profile.levelCounts
                if profile.trainingMissing > 0 { counts[""] = profile.trainingMissing }
                var frequent: [(String, Int)] = []
                var rare: [(String, Int)] = []
                for (value, n) in counts {
                    if n >= minLevelCount { frequent.append((value, n)) } else { rare.append((value, n)) }
                }
                var groups: [CategoricalEncoding.LevelGroup] = frequent.map { .init(value: $0.0, count: $0.1, term: nil, pooled: nil) }
                if !rare.isEmpty {
                    let pooled = rare.map(\.0).sorted(by: DesignBuilder.byteOrder)
                    groups.append(.init(value: ColumnEncoding.otherName, count: rare.reduce(0) { $0 + $1.1 },
                                        term: nil, pooled: pooled))
                }
                // Most frequent first; ties by bytes. The first is the reference level.
                groups.sort { a, b in a.count != b.count ? a.count > b.count : DesignBuilder.byteOrder(a.value, b.value) }
                if groups.count < 2 {
                    drop(groups.isEmpty ? "no values in the training rows" : "constant (one level\(rare.isEmpty ? "" : " after pooling rare levels"))")
                    break
                }
                for g in 1..<groups.count {
                    groups[g].term = termNames.count
                    termNames.append(ColumnEncoding.termName(column: profile.name, group: groups[g]))
                }
                let encoding = CategoricalEncoding(groups: groups, reference: groups[0].value,
                                                   unseen: groups.contains { $0.value == ColumnEncoding.otherName } ? .other : .average)
                columns.append(ColumnEncoding(name: profile.name, kind: .categorical(encoding), missingCount: profile.trainingMissing))
            }
            schema.append(entry)
        }
        return Output(design: Design(columns: columns, termNames: termNames), schema: schema, notices: notices)
    }

    /// Orders strings by their UTF-8 bytes (the same order as Python's `sorted` on code points).
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
