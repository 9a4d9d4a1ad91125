import Foundation
import LeadModel
import LeadScoreCLI
import LeadSupport

// LEADSCORE_THREADS is read once, here (the library never reads the environment for it): a
// mistyped value is a usage error rather than silently ignored.
if let threads = ProcessInfo.processInfo.environment["LEADSCORE_THREADS"] {
    guard let n = ScoringThreads.parse(threads) else {
        FileHandle.standardError.write(Data("leadscore: error: LEADSCORE_THREADS must be a whole number from 1 to \(ScoringThreads.maximum), got '\(threads)'\n".utf8))
        exit(64)
    }
    ScoringThreads.set(n)
}
LeadScoreCommand.main()
