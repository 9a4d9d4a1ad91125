import ArgumentParser
import Foundation
import LeadModel

/// The tool's version, written into every model file.
public let leadscoreVersion = "0.1.0"

/// `leadscore`: the root command.
public struct LeadScoreCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "leadscore",
        abstract: "Score leads and explain why sales rejects them, with logistic models on OpenBLAS/LAPACK.",
        discussion: """
            Typical monthly cycle:
              leadscore train leads.csv --target status --positive accepted --id lead_id
              leadscore score new-leads.csv --model models/leads-2026-11-29.json --out scored.csv --reasons 3
              leadscore explain L0000123 --model models/leads-2026-11-29.json --data leads.csv
              leadscore drivers --model models/leads-2026-11-29.json
              leadscore patterns leads.csv --target status --positive accepted --reason-column reject_reason
              leadscore serve --model models/leads-2026-11-29.json --port 8080
              leadscore export sql --model models/leads-2026-11-29.json --dialect duckdb --reasons 3 > score.sql

            Exit status:
              0   success (every row scored)
              3   finished, but some rows were reported in --errors instead of scored
              4   drift: the score or a column moved by a PSI of 0.25 or more
              64  usage error (bad or missing options)
              65  bad data: an input row, a model file or a value that cannot be used
              66  an input file cannot be opened
              69  serve: the address cannot be listened on (in use, not this machine's)
              70  internal error (a bug: please report it)
              73  an output file cannot be created

            Environment:
              LEADSCORE_THREADS=N     threads for scoring and training (default: the
                                      cores, at most 8); same output bytes for any N
              LEADSCORE_TIMING=1      training's stage times on standard error
              OPENBLAS_NUM_THREADS=N  OpenBLAS threads in train and patterns
                                      (default 1: only small factorizations there)
            """,
        version: leadscoreVersion,
        subcommands: [TrainCommand.self, ScoreCommand.self, ExplainCommand.self, DriversCommand.self, PatternsCommand.self, GenerateCommand.self, ExportCommand.self, ServeCommand.self, EvaluateCommand.self, ModelsCommand.self, CompareCommand.self, DriftCommand.self, ReportCommand.self, SLACommand.self]
    )

    public init() {}
}

/// Exit statuses, documented in `--help` and the README.
public enum ExitStatus {
    public static let partial: Int32 = 3
    /// `drift`: the score or an input column moved by a PSI of at least 0.25 (the report is written).
    public static let drift: Int32 = 4
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    /// `serve` cannot listen on its address (sysexits EX_UNAVAILABLE).
    public static let unavailable: Int32 = 69
    public static let internalError: Int32 = 70
    /// An output file cannot be created or written (sysexits EX_CANTCREAT).
    public static let cannotCreate: Int32 = 73
}

/// Runs a command body, mapping library errors to messages on standard error and exit statuses.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as InputError {
        Terminal.error(e.description)
        throw ExitCode(e.isMissingInput ? ExitStatus.noInput : ExitStatus.dataError)
    } catch let e as ModelFileError {
        Terminal.error(e.description)
        throw ExitCode(e.cannotOpen ? ExitStatus.noInput : ExitStatus.dataError)
    } catch OutputSink.OutputError.closedPipe {
        throw ExitCode.success
    } catch let e as OutputSink.OutputError {
        Terminal.error(e.description)
        throw ExitCode(ExitStatus.cannotCreate)
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        // Thrown while running (an option checked against the model or the data), it can quote data
        // (the keys of a JSON lead): shown like any message, without the root command's usage line,
        // which would name the wrong command.
        Terminal.error(e.message)
        throw ExitCode(ExitStatus.usage)
    } catch {
        Terminal.error("internal error: \(error)")
        throw ExitCode(ExitStatus.internalError)
    }
}
