import Foundation
import LeadModel
import LeadScoreCLI
import LeadSupport

// LEADSCORE_THREADS is checked once, here, so a mistyped value is a usage error rather than
// silently ignored.
if let threads = ProcessInfo.processInfo.environment["LEADSCORE_THREADS"], ScoringThreads.parse(threads) == nil {
    FileHandle.standardError.write(Data("leadscore: error: LEADSCORE_THREADS must be a whole number from 1 to \(ScoringThreads.maximum), got '\(threads)'\n".utf8))
    exit(64)
}
LeadScoreCommand.main()
