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
    var onError: OnErrorChoice = .fail

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

enum OnErrorChoice: String, ExpressibleByArgument, CaseIterable {
    case fail, skip
}

/// Splits a comma-separated option value ("A,B") into trimmed names.
func commaList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: true).map { String($0).trimmedWhitespace } }
}
