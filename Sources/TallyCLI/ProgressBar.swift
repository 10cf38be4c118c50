import Synchronization

/// A progress line on standard error — bar, percent, then a detail such as events and events per
/// second — redrawn in place at most ten times a second. Disabled (every call does nothing) when
/// standard error is not a terminal, so pipes and logs receive only the final summary. Safe to
/// call from any thread; draws are serialised by the lock.
final class ProgressBar: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
    }

    private let label: String
    private let isEnabled: Bool
    private let start = ContinuousClock.now
    private let state = Mutex(State())

    init(label: String, enabled: Bool = Terminal.standardErrorIsTerminal) {
        self.label = label
        self.isEnabled = enabled
    }

    /// `fraction` is the share done in 0...1, or `nil` when the total is unknown (stdin).
    func update(fraction: Double?, events: Int) {
        update(fraction: fraction) { elapsed in
            let seconds = elapsed.seconds
            let rate = seconds > 0 ? Int(Double(events) / seconds) : 0
            return "\(events) events  \(rate) events/s"
        }
    }

    /// `detail` gets the time since the bar was made and says what is being done; it is called
    /// only when the line is redrawn.
    func update(fraction: Double?, detail: (Duration) -> String) {
        guard isEnabled else { return }
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            if let last = state.lastDraw, now - last < .milliseconds(100) { return nil }
            state.lastDraw = now
            state.drawn = true
            return render(fraction: fraction, detail: detail(now - start))
        }
        if let line { Terminal.writeToStandardError("\r" + line + "\u{1B}[K") }
    }

    /// Erases the progress line so that what follows starts on a clean line.
    func finish() {
        guard isEnabled, state.withLock({ $0.drawn }) else { return }
        Terminal.writeToStandardError("\r\u{1B}[K")
    }

    private func render(fraction: Double?, detail: String) -> String {
        var text = label + " "
        if let fraction {
            let clamped = min(max(fraction, 0), 1)
            let width = 30
            let filled = Int(clamped * Double(width))
            text += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            text += String(Int(clamped * 100)) + "%  "
        }
        return text + detail
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
