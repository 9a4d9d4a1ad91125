import LeadData

/// The one row stream: the leads of a file (or of one chunk of it) read through a design, row by row.
///
/// Each record is read; a record with the wrong field count, a target value that is missing or
/// unexpected, a time that is no date, or a value that does not fit its column is reported to
/// `errors` (thrown with `--on-error fail`; counted and kept with `skip`) with the lead's id; a usable
/// one is resolved into `values`, with its `outcome` and `day` when the roles name a target and a
/// time. A reader error ends a CSV (an unterminated quote swallows the rest of the input) but only its
/// own line in JSON Lines. Training (both passes of encoding), scoring, `explain --data`, the lead
/// tables of `drivers`/`patterns`/`evaluate` and the drift profiles all read rows through it, so every
/// command numbers, checks and reports rows the same way; in parallel, each chunk gets its own stream
/// and the chunks' `errors` are appended in file order.
public struct LeadRows<Source: RecordSource> {
    public let source: Source
    public let roles: RowRoles
    public let resolver: RowResolver
    public var errors: RowErrors
    /// The current record and its values (valid after `next` or `step` returned a row).
    public var record = CSVRecord()
    public var values: [ResolvedValue] = []
    /// The current row's outcome (1 or 0) when the roles have a target.
    public private(set) var outcome: UInt8 = 0
    /// The current row's day when the roles have a time column.
    public private(set) var day: Double?
    /// Records read so far, bad ones included: the current record's row number (the number `score`
    /// gives a lead without an id).
    public private(set) var recordsRead = 0
    /// The stream ends after this many records (training's second pass stops before a record the
    /// first pass found unreadable, which it reported).
    public var recordLimit = Int.max
    /// False: a record is only read and its field count checked, nothing resolved (`values`, `outcome`
    /// and `day` are not set): the floor of a pass, what reading alone costs (`score --stop-after parse`).
    public var resolves = true
    private let resumesAfterError: Bool
    /// Set after a CSV record that could not be read: the rest of the input is not read.
    private var ended = false

    public init(source: Source, roles: RowRoles, resolver: RowResolver, policy: OnError) {
        self.source = source
        self.roles = roles
        self.resolver = resolver
        self.errors = RowErrors(policy)
        self.resumesAfterError = source is JSONLinesReader
        values.reserveCapacity(resolver.design.columns.count)
    }

    /// What one step of the stream met.
    public enum Step {
        /// A usable row, in `record` and `values`.
        case row
        /// A row that was reported (with `skip`; with `fail` `step` throws it instead).
        case rejected(InputError)
        /// The end of the input.
        case end
    }

    /// Reads one record. `skipping` is asked first about each record read, with its row number: a
    /// record it skips is neither checked nor reported (a lead not asked for, a holdout row).
    @inline(__always)
    public mutating func step(skipping: ((CSVRecord, Int) -> Bool)? = nil) throws(InputError) -> Step {
        while true {
            guard recordsRead < recordLimit, !ended else { return .end }
            let more: Bool
            do {
                more = try source.next(into: &record)
            } catch {
                recordsRead += 1
                // A CSV record that failed to read has no id to report (the record holds the previous
                // one); a JSON line that failed holds what could be read of it.
                if !resumesAfterError { record = CSVRecord() }
                var e = error.withLeadID(of: record, idIndex: roles.id)
                e.file = resolver.file
                try errors.report(e)
                ended = !resumesAfterError
                return .rejected(e)
            }
            guard more else { return .end }
            recordsRead += 1
            if let skipping, skipping(record, recordsRead) { continue }
            do throws(InputError) {
                if let e = resolver.fieldCountError(record) { throw e }
                if !resolves { return .row }
                if roles.target != nil { outcome = try roles.outcome(of: record) }
                if roles.time != nil { day = try roles.day(of: record) }
                try resolver.resolve(record, into: &values)
            } catch {
                return try reject(error)
            }
            return .row
        }
    }

    /// Reads to the next usable row, reporting the others on the way; false at the end of the input.
    @inline(__always)
    public mutating func next(skipping: ((CSVRecord, Int) -> Bool)? = nil) throws(InputError) -> Bool {
        while true {
            switch try step(skipping: skipping) {
            case .row: return true
            case .end: return false
            case .rejected: continue
            }
        }
    }

    /// Reports the current row as unusable for a reason found after it was read (an id that is not
    /// UTF-8, a log-odds that is not a number), with the lead's id.
    public mutating func reject(_ error: InputError) throws(InputError) -> Step {
        let e = error.withLeadID(of: record, idIndex: roles.id)
        try errors.report(e)
        return .rejected(e)
    }
}
