import Ops

/// What a SIGHUP can change in a running daemon: the log level takes effect at once; every other
/// difference between the running configuration and the file needs a restart, and is named.
package struct ReloadPlan: Sendable, Equatable {
    /// The new log level, when it changed.
    package var logLevel: LogLevel?
    /// Configuration sections that changed and are only read at startup.
    package var needsRestart: [String]

    package init(running old: SluiceConfig, file new: SluiceConfig) {
        logLevel = old.log.level == new.log.level ? nil : new.log.level
        var changed: [String] = []
        if old.source != new.source { changed.append("[source]") }
        if old.filter != new.filter { changed.append("[filter]") }
        if old.mappings != new.mappings { changed.append("[[mapping]]") }
        if old.redis != new.redis { changed.append("[redis.*]") }
        if old.kafka != new.kafka { changed.append("[kafka]") }
        if old.drApply != new.drApply { changed.append("[dr_apply]") }
        if old.metrics != new.metrics { changed.append("[metrics]") }
        if old.lag != new.lag { changed.append("[lag]") }
        if old.log.format != new.log.format { changed.append("[log] format") }
        if old.daemon != new.daemon { changed.append("[daemon]") }
        needsRestart = changed
    }

    /// One line for the log.
    package var summary: String {
        var parts: [String] = []
        if let logLevel { parts.append("log level is now \(logLevel.rawValue)") }
        if !needsRestart.isEmpty {
            parts.append("changes to \(needsRestart.joined(separator: ", ")) need a restart and were not applied")
        }
        return parts.isEmpty
            ? "configuration reloaded: nothing changed" : "configuration reloaded: " + parts.joined(separator: "; ")
    }
}
