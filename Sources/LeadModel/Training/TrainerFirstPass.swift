import Foundation
import LeadData
import LinearAlgebra
import LeadSupport

extension Trainer {
    // MARK: - Pass 1

    struct FirstPass {
        var header: [String] = []
        /// `--interaction` pairs, split against the header (a column name may hold a ':').
        var interactions: [InteractionPair] = []
        var roles = RowRoles(file: "", header: [], parser: FieldParser())
        var targetIndex = 0
        var idIndex: Int?
        var timeIndex: Int?
        var features: [Int] = []
        var profiles: [ColumnProfile] = []
        var targetCounts: [String: (count: Int, line: Int)] = [:]
        var badRows = Set<Int>()
        var errors = RowErrors(.fail)
        /// Records up to the first one that cannot be read (an unterminated quote), which ends the input.
        var readableRecords = Int.max
        var records = 0
        var trainingRows = 0
        var holdoutRows = 0
        var firstTime = Double.infinity
        var lastTime = -Double.infinity
        /// Where each chunk of records lies and how many training and holdout rows it holds, so the
        /// second pass can encode chunks in parallel straight into their rows.
        var plan: [ChunkPlan] = []
    }

    struct ChunkPlan: Sendable {
        var offset: Int
        var length: Int
        var firstLine: Int
        var firstRecord: Int
        var trainingStart: Int
        var holdoutStart: Int
    }

    func isHoldout(index: Int, time: Double?) -> Bool {
        Trainer.isHoldout(index: index, time: time, seed: options.seed, fraction: options.holdoutFraction, after: options.holdoutAfter)
    }

    func firstPass(path: String, display: String, parser: FieldParser) throws -> FirstPass {
        var pass = FirstPass()
        pass.errors = RowErrors(options.onError)
        let chunker = try RecordChunker(path: path, delimiter: options.delimiter, chunkSize: 1 << 20)
        pass.header = try chunker.readHeader()
        let header = pass.header
        var roles = RowRoles(file: display, header: header, parser: parser)
        try roles.readTarget(TargetSpec(column: options.target, positive: options.positive, negatives: options.negatives))
        if let id = options.idColumn { try roles.readID(id) }
        if let t = options.timeColumn { try roles.readTime(t) }
        func column(_ name: String, _ role: String) throws -> Int { try roles.locate(name, role: role) }
        pass.roles = roles
        pass.targetIndex = roles.target!
        pass.idIndex = roles.id
        pass.timeIndex = roles.time
        var excluded = Set<Int>()
        for e in options.exclude { excluded.insert(try column(e, "excluded")) }
        for name in options.types.keys { _ = try column(name, "--type") }
        for name in options.shapes.columns.keys.sorted() { _ = try column(name, "--numeric") }
        for name in options.shapes.monotone.keys.sorted() { _ = try column(name, "--monotone") }
        pass.features = header.indices.filter {
            $0 != pass.targetIndex && $0 != pass.idIndex && $0 != pass.timeIndex && !excluded.contains($0)
        }
        for given in options.interactions {
            let readings = given.split(in: header)
            guard readings.count == 1, let pair = readings.first else {
                throw InputError(file: display, line: 1, message: readings.isEmpty
                    ? "--interaction \(given.text): no ':' in it parts two columns of the header; columns are: \(header.map { "'\($0)'" }.joined(separator: ", "))"
                    : "--interaction \(given.text) can be read as \(readings.map { "'\($0.first)' with '\($0.second)'" }.joined(separator: " or ")); rename a column so the pair is unambiguous")
            }
            pass.interactions.append(pair)
            for name in [pair.first, pair.second] where !pass.features.contains(try column(name, "--interaction")) {
                throw InputError(file: display, line: 1, columnName: name,
                                 message: "--interaction \(pair.text): '\(name)' is the target, id, time or an excluded column, not a feature the model can use")
            }
        }
        pass.profiles = pass.features.map { ColumnProfile(name: header[$0], levelLimit: options.maxLevels) }
        let overrides = pass.features.map { options.types[header[$0]] }
        let scanner = FirstPassScanner(options: options, header: header, roles: roles,
                                       features: pass.features, overrides: overrides, parser: parser, display: display)
        let threads = ScoringThreads.default
        var nextRecord = 0
        batches: while true {
            var chunks: [(RecordChunker.Chunk, Int)] = []
            while chunks.count < max(2, threads * 2), let chunk = try chunker.nextChunk() {
                chunks.append((chunk, nextRecord))
                nextRecord += chunk.records
            }
            if chunks.isEmpty { break }
            let batch = chunks
            let parts = ParallelMap.run(batch.count, threads: threads) { k in scanner.scan(batch[k].0, firstRecord: batch[k].1) }
            for (k, part) in parts.enumerated() {
                let chunk = batch[k].0
                pass.plan.append(ChunkPlan(offset: chunk.offset, length: chunk.slice.count, firstLine: chunk.firstLine,
                                           firstRecord: batch[k].1, trainingStart: pass.trainingRows, holdoutStart: pass.holdoutRows))
                pass.records += part.records
                pass.trainingRows += part.trainingRows
                pass.holdoutRows += part.holdoutRows
                pass.firstTime = min(pass.firstTime, part.firstTime)
                pass.lastTime = max(pass.lastTime, part.lastTime)
                for (value, entry) in part.targetCounts {
                    if let seen = pass.targetCounts[value] {
                        pass.targetCounts[value] = (seen.count + entry.count, min(seen.line, entry.line))
                    } else {
                        pass.targetCounts[value] = entry
                    }
                }
                for (c, profile) in part.profiles.enumerated() { pass.profiles[c].merge(profile) }
                for (index, error) in part.rejected {
                    try reject(error, index: index, into: &pass)
                }
                if part.stopped {
                    pass.readableRecords = batch[k].1 + part.records - 1
                    break batches
                }
            }
            progress?("read \(pass.records) rows")
        }
        return pass
    }

    func reject(_ error: InputError, index: Int, into pass: inout FirstPass) throws {
        try pass.errors.report(error)
        pass.badRows.insert(index)
    }
}

/// The first pass over one chunk: row checks, holdout assignment and column profiles. Chunks are
/// scanned in parallel and their results merged in file order (`ColumnProfile.merge`).
struct FirstPassScanner: Sendable {
    let options: TrainingOptions
    let header: [String]
    let roles: RowRoles
    let features: [Int]
    let overrides: [ColumnType?]
    let parser: FieldParser
    let display: String

    struct Part: Sendable {
        var profiles: [ColumnProfile]
        var records = 0
        var trainingRows = 0
        var holdoutRows = 0
        var firstTime = Double.infinity
        var lastTime = -Double.infinity
        var targetCounts: [String: (count: Int, line: Int)] = [:]
        /// Rows that cannot be used, by record index, in order.
        var rejected: [(Int, InputError)] = []
        /// True when reading must stop here (an unreadable record, or the first error with --on-error fail).
        var stopped = false
    }

    func scan(_ chunk: RecordChunker.Chunk, firstRecord: Int) -> Part {
        var part = Part(profiles: [])
        var profiles = features.map { ColumnProfile(name: header[$0], levelLimit: options.maxLevels) }
        // Target values by their bytes (a handful of distinct ones): a String only for a new value.
        var targetBytes: [[UInt8]] = []
        var targetTally: [(count: Int, line: Int)] = []
        let reader = CSVReader(slice: chunk.slice, path: display, delimiter: options.delimiter, firstLine: chunk.firstLine, firstIndex: firstRecord)
        var record = CSVRecord()
        let fail = options.onError == .fail
        // Locals, not properties: a property read inside the per-field closure copies the struct
        // (and retains its arrays) once per field.
        let parser = self.parser
        let features = self.features
        let targetIndex = roles.target!, timeIndex = roles.time
        let seed = options.seed, fraction = options.holdoutFraction, after = options.holdoutAfter
        let fieldCount = header.count
        let check = RowCheck(scanner: self)
        profiles.withUnsafeMutableBufferPointer { profile in
            while true {
                let more: Bool
                do throws(InputError) { more = try reader.next(into: &record) } catch var e {
                    e.file = display
                    part.rejected.append((firstRecord + part.records, e))
                    part.records += 1
                    part.stopped = true
                    return
                }
                guard more else { return }
                part.records += 1
                var time: Double?
                let defect: RowDefect? = record.fieldCount != fieldCount ? .fieldCount : record.withFields { fields in
                    if let ti = timeIndex { time = FieldParser.date(FieldParser.trim(fields[ti])) }
                    return check.defect(fields, time: time)
                }
                if let defect {
                    part.rejected.append((record.index, error(defect, record)))
                    if fail { part.stopped = true; return }
                    continue
                }
                let holdout = Trainer.isHoldout(index: record.index, time: time, seed: seed, fraction: fraction, after: after)
                if holdout { part.holdoutRows += 1 } else {
                    part.trainingRows += 1
                    if let time {
                        part.firstTime = min(part.firstTime, time)
                        part.lastTime = max(part.lastTime, time)
                    }
                }
                let known = record.withField(targetIndex) { raw -> Int? in
                    let value = FieldParser.trim(raw)
                    return targetBytes.firstIndex { $0.elementsEqual(value) }
                }
                if let known {
                    targetTally[known].count += 1
                } else {
                    targetBytes.append(record.withField(targetIndex) { Array(FieldParser.trim($0)) })
                    targetTally.append((1, record.line))
                }
                let line = record.line
                record.withFields { fields in
                    for k in 0..<features.count {
                        profile[k].observe(FieldParser.trim(fields[features[k]]), parser: parser, line: line, training: !holdout)
                    }
                }
            }
        }
        part.profiles = profiles
        for (bytes, tally) in zip(targetBytes, targetTally) {
            part.targetCounts[String(decoding: bytes, as: UTF8.self)] = tally
        }
        return part
    }

    /// The message for a row the first pass cannot use, naming line, column, value and the lead's id.
    func error(_ defect: RowDefect, _ record: CSVRecord) -> InputError {
        describe(defect, record).withLeadID(of: record, idIndex: roles.id)
    }

    private func describe(_ defect: RowDefect, _ record: CSVRecord) -> InputError {
        switch defect {
        case .fieldCount:
            return .wrongFieldCount(file: display, line: record.line, found: record.fieldCount, expected: header.count)
        case .badTarget:
            return roles.outcomeError(record)
        case .badTime:
            return roles.timeError(record)
        case .badValue(let f, let message):
            return InputError(file: display, line: record.line, column: f + 1, columnName: header[f],
                              value: record.displayString(f).trimmedWhitespace, message: message)
        }
    }
}

/// Why the first pass cannot use a row (the message is built only for such a row).
enum RowDefect {
    /// A field count that is not the header's; a target value missing or unexpected (`RowRoles.outcome`).
    case fieldCount, badTarget
    /// The time column holds no date.
    case badTime
    /// A feature field that is not valid UTF-8 or does not fit its `--type`.
    case badValue(field: Int, message: String)
}

/// The first pass's row checks with the scanner's settings copied once per chunk. A class, made by
/// each chunk's thread: a struct captured by the per-row closure was copied on every row, retaining
/// arrays the threads share (their reference counts then bounced between the cores).
final class RowCheck {
    let parser: FieldParser
    let roles: RowRoles
    let features: [Int]
    let overrides: [ColumnType?]
    let hasOverrides: Bool

    init(scanner: FirstPassScanner) {
        parser = scanner.parser
        roles = scanner.roles
        features = scanner.features
        overrides = scanner.overrides
        hasOverrides = overrides.contains { $0 != nil }
    }

    /// The first defect of a record with the right field count, in the order the messages were
    /// always given: target missing, target not allowed, time, UTF-8, `--type`. `time` is the parsed
    /// time column (nil when there is none or it is not a date).
    func defect(_ fields: CSVRecord.Fields, time: Double?) -> RowDefect? {
        if roles.outcome(FieldParser.trim(fields[roles.target!])) == nil { return .badTarget }
        if roles.time != nil, time == nil { return .badTime }
        for f in features where !FieldParser.isValidUTF8(fields[f]) {
            return .badValue(field: f, message: ValueProblem.invalidUTF8.message)
        }
        guard hasOverrides else { return nil }
        for (k, f) in features.enumerated() {
            guard let type = overrides[k] else { continue }
            if let message = RowCheck.typeProblem(type, FieldParser.trim(fields[f]), parser: parser) {
                return .badValue(field: f, message: message)
            }
        }
        return nil
    }

    /// Why a trimmed value does not fit the type `--type` gave its column, or nil.
    static func typeProblem(_ type: ColumnType, _ v: UnsafeBufferPointer<UInt8>, parser: FieldParser) -> String? {
        if parser.isMissing(v) { return nil }
        switch type {
        case .numeric:
            switch FieldParser.number(v) {
            case .value: return nil
            case .outOfRange: return ValueProblem.outOfRange.message
            case .notANumber: return ValueProblem.expectedNumber.message
            }
        case .boolean:
            if FieldParser.boolean(v) != nil { return nil }
            if case .value(let x) = FieldParser.number(v), x == 0 || x == 1 { return nil }
            return ValueProblem.expectedBoolean.message
        case .date:
            return FieldParser.date(v) == nil ? "expected an ISO 8601 date" : nil
        case .categorical:
            return String(validating: v, as: UTF8.self) == nil ? ValueProblem.invalidUTF8.message : nil
        }
    }
}
