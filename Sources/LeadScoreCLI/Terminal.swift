import Foundation
import LeadData

/// Messages for people go to standard error; data goes to standard output.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("leadscore: error: " + printable(message) + "\n").utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data(("leadscore: " + printable(message) + "\n").utf8))
    }

    /// Text for a terminal: every line through `TerminalText.visible`, the line breaks kept. Messages
    /// and text reports pass here as they are written, a last line of defence behind the renderers,
    /// which make each value visible (and shorten it) where they lay out columns.
    static func printable(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.visible(String($0)) }.joined(separator: "\n")
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// Progress on standard error, only when it is a terminal and `--quiet` is off; redrawn in place.
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    init(quiet: Bool) { enabled = !quiet && Terminal.stderrIsTerminal }

    func show(_ text: String) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.2 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + TerminalText.visible(text)).utf8))
    }

    /// Rows, rows per second, and the ETA when the input size is known.
    func rows(_ rows: Int, bytes: Int, total: Int?) {
        let elapsed = max(Date().timeIntervalSince(start), 1e-3)
        var text = "\(rows) rows, \(Int(Double(rows) / elapsed)) rows/s"
        if let total, total > 0, bytes > 0 {
            let fraction = Double(bytes) / Double(total)
            let eta = elapsed * (1 - fraction) / max(fraction, 1e-9)
            text += String(format: ", %.0f%%, ETA %.0fs", fraction * 100, eta)
        }
        show(text)
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Fixed-precision formatting for summaries.
/// Beyond ±1e15 (a model or lead whose numbers overflow) in scientific notation, never 300 digits.
func fmt(_ x: Double, _ digits: Int = 3) -> String {
    abs(x) < 1e15 || !x.isFinite ? String(format: "%.\(digits)f", x) : String(format: "%.3g", x)
}
func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
