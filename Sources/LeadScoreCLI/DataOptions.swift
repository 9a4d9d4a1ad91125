import ArgumentParser
import LeadModel

/// Options every command that reads a CSV shares.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Field delimiter: one character, or 'tab'. The bank marketing data uses ';'.", valueName: "char"))
    var delimiter: String = ","

    @Option(name: .customLong("missing"), help: ArgumentHelp(
        "A value that means missing, besides empty, NA, N/A, null and NULL. Repeatable (the X Education data uses 'Select').",
        valueName: "value"))
    var missing: [String] = []

    @Option(help: ArgumentHelp("What to do with a bad row: stop at the first (fail) or report it and go on (skip).", valueName: "fail|skip"))
    var onError: OnError = .fail

    @Flag(help: "No progress or notices on standard error.")
    var quiet = false

    var delimiterByte: UInt8 {
        delimiter == "tab" || delimiter == "\\t" ? 9 : delimiter.utf8.first!
    }

    func validate() throws {
        if !(delimiter == "tab" || delimiter == "\\t") && (delimiter.utf8.count != 1 || delimiter == "\"" || delimiter == "\n") {
            throw ValidationError("--delimiter must be a single character other than a quote or newline (or 'tab'), got '\(delimiter)'.")
        }
    }
}

/// The outcome and the columns kept out of the model: shared by `train` and `patterns`.
struct OutcomeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The outcome column.", valueName: "column"))
    var target: String

    @Option(help: ArgumentHelp("The good outcome (accepted, converted, won): the score is its probability; every other outcome is a rejection.", valueName: "value"))
    var positive: String

    @Option(help: ArgumentHelp("A bad outcome value (repeatable). Default: the one other value in the target column; rows with any other value are errors.", valueName: "value"))
    var negative: [String] = []

    @Option(help: ArgumentHelp("The lead id column: kept out of the model, stored in it, and used by score and explain.", valueName: "column"))
    var id: String?

    @Option(help: ArgumentHelp("Columns to keep out of the model, comma-separated (repeatable).", valueName: "a,b"))
    var exclude: [String] = []

    func validate() throws {
        if let id, id == target {
            throw ValidationError("--id and --target are both '\(target)': the outcome cannot also identify the leads; name the id column with --id.")
        }
        if commaList(exclude).contains(target) {
            throw ValidationError("--exclude names the target '\(target)': the outcome is never a model term already; remove it from --exclude.")
        }
        if let id, commaList(exclude).contains(id) {
            throw ValidationError("--exclude names the id column '\(id)': the id is never a model term already; remove it from --exclude.")
        }
        if negative.contains(positive) {
            throw ValidationError("--negative '\(positive)' is also the --positive value.")
        }
    }

    /// Training options with these and the shared data options filled in.
    func trainingOptions(file: String, data: DataOptions) -> TrainingOptions {
        var o = TrainingOptions(dataPath: file, target: target, positive: positive)
        o.negatives = negative
        o.idColumn = id
        o.exclude = commaList(exclude)
        o.extraMissing = data.missing
        o.delimiter = data.delimiterByte
        o.onError = data.onError
        o.toolVersion = leadscoreVersion
        return o
    }
}

extension OnError: ExpressibleByArgument {}

/// Splits a comma-separated option value ("A,B") into trimmed names.
func commaList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map { String($0).trimmedWhitespace } }
}
