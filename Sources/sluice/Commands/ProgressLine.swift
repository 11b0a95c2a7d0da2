import Foundation
import Ops
import Timekeeping

/// A progress line rewritten in place on standard error, only when it is a terminal (at most
/// 4 times a second), so logs and pipes get none.
final class ProgressLine: @unchecked Sendable {
    private let console: Console
    private let enabled = isatty(2) == 1
    private let clock = SystemClock()
    private var last: MonotonicInstant?

    init(console: Console) { self.console = console }

    func show(_ text: String) {
        let now = clock.monotonicNow()
        guard enabled, last.map({ now.seconds(since: $0) >= 0.25 }) ?? true else { return }
        last = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
