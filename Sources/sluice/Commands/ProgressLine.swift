import Foundation
import Ops

/// A progress line rewritten in place on standard error, only when it is a terminal (at most
/// 4 times a second), so logs and pipes get none.
final class ProgressLine: @unchecked Sendable {
    private let console: Console
    private let enabled = isatty(2) == 1
    private var last = Date.distantPast

    init(console: Console) { self.console = console }

    func show(_ text: String) {
        guard enabled, Date().timeIntervalSince(last) >= 0.25 else { return }
        last = Date()
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
