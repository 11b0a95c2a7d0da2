import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary folder holding the data and logs of sandbox services, plus the safety net that
/// stops them if this process goes away without doing it itself.
///
/// Every service process is recorded in `pids` (one PID per line) and started with its working
/// directory inside the folder. A small watchdog shell, started with the folder, waits for this
/// process to end (its parent PID changes once this process is gone, however it ended: a normal
/// exit, a crash, SIGINT, SIGTERM or SIGKILL); if the folder still exists then, it sends SIGTERM and
/// then SIGKILL to each listed PID whose working directory is inside the folder, and removes the
/// folder. `close()` (also run from deinit) is the normal path: it stops the processes itself,
/// removes the folder and ends the watchdog.
package final class SandboxFolder: @unchecked Sendable {
    package let path: String
    package let pidFile: String
    private let lock = NSLock()
    private var processes: [ChildProcess] = []
    private var watchdog: ChildProcess?
    private var closed = false

    /// Creates `<parent>/sluice-<label>-XXXXXX`. The parent defaults to `$SLUICE_SANDBOX_PARENT`
    /// (scripts/test points it into the checkout, to sweep up after a killed run), else the system
    /// temporary folder.
    package init(label: String, parent: String? = nil) throws(SandboxError) {
        let base =
            parent ?? ProcessInfo.processInfo.environment["SLUICE_SANDBOX_PARENT"]
            ?? FileManager.default.temporaryDirectory.path
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array("\(base)/sluice-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SandboxError(
                .fileSystem, service: label, message: "mkdtemp under \(base): \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        pidFile = path + "/pids"
        _ = FileManager.default.createFile(atPath: pidFile, contents: Data())
        do {
            watchdog = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", Self.watchdogScript, "watchdog", String(getpid()), path],
                workingDirectory: "/", logPath: "/dev/null", service: "\(label) watchdog")
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    deinit {
        close()
    }

    /// A subfolder for one service, created if needed.
    package func subfolder(_ name: String) throws(SandboxError) -> String {
        let folder = path + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SandboxError(.fileSystem, service: name, message: "cannot create \(folder): \(error)")
        }
        return folder
    }

    /// Starts a long-running service process whose working directory is `workingDirectory`
    /// (inside this folder) and records its PID.
    package func start(
        service: String, executable: String, arguments: [String], workingDirectory: String, logPath: String,
        environment: [String: String] = [:]
    ) throws(SandboxError) -> ChildProcess {
        let child = try ChildProcess(
            executable: executable, arguments: arguments, workingDirectory: workingDirectory, logPath: logPath,
            environment: environment, service: service)
        lock.lock()
        processes.append(child)
        writePIDs()
        lock.unlock()
        return child
    }

    /// Runs a command to completion (killed after `timeout` s) with its PID recorded while it runs,
    /// so the watchdog stops it too; returns its exit status and output (also appended to `logPath`).
    package func run(
        service: String, executable: String, arguments: [String], workingDirectory: String, logPath: String,
        timeout: Double
    ) throws(SandboxError) -> (status: Int32, output: String) {
        let logStart = LogFile.size(logPath)
        let child = try start(
            service: service, executable: executable, arguments: arguments, workingDirectory: workingDirectory,
            logPath: logPath)
        defer { forget(child) }
        return try child.collect(timeout: timeout, logStart: logStart, service: service)
    }

    /// Stops one recorded process (SIGTERM, then SIGKILL after `grace` s) and forgets it.
    package func stop(_ child: ChildProcess, grace: Double = 5) {
        child.stop(grace: grace)
        forget(child)
    }

    /// Forgets a process that has already ended (e.g. killed with `kill9()`).
    package func forget(_ child: ChildProcess) {
        lock.lock()
        processes.removeAll { $0 === child }
        writePIDs()
        lock.unlock()
    }

    /// The PIDs of the processes currently recorded.
    package var pids: [pid_t] {
        lock.lock()
        defer { lock.unlock() }
        return processes.map(\.pid)
    }

    /// Stops every recorded process (all at once: SIGTERM to each, then SIGKILL to those still
    /// there after `grace` s), removes the folder and ends the watchdog. Idempotent.
    package func close(grace: Double = 5) {
        lock.lock()
        if closed {
            lock.unlock()
            return
        }
        closed = true
        let running = processes
        processes = []
        lock.unlock()

        for child in running where child.isRunning { kill(child.pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        for child in running {
            _ = child.waitForExit(timeout: max(0, deadline.timeIntervalSinceNow))
        }
        for child in running where child.isRunning { child.kill9() }
        try? FileManager.default.removeItem(atPath: path)
        watchdog?.kill9()
        watchdog = nil
    }

    /// Called with `lock` held.
    private func writePIDs() {
        let text = processes.map { "\($0.pid)\n" }.joined()
        try? text.write(toFile: pidFile, atomically: true, encoding: .utf8)
    }

    /// $1 = PID of the owning (test) process, $2 = the sandbox folder. Ignores the signals a
    /// terminal or a CI runner sends to a whole process group, so it outlives its owner.
    package static let watchdogScript = """
        trap '' INT TERM HUP QUIT
        owner="$1"; dir="$2"
        while :; do
            read -r _ _ _ parent _ < /proc/$$/stat || break
            [ "$parent" = "$owner" ] || break
            [ -d "$dir" ] || exit 0
            sleep 0.5
        done
        [ -f "$dir/pids" ] || exit 0
        ours() { case "$(readlink "/proc/$1/cwd" 2>/dev/null)" in "$dir"/*) return 0;; esac; return 1; }
        signal_all() { for p in $(cat "$dir/pids"); do ours "$p" && kill -"$1" "$p" 2>/dev/null; done; }
        wait_gone() {
            i=0
            while [ $i -lt "$1" ]; do
                alive=0
                for p in $(cat "$dir/pids"); do ours "$p" && alive=1; done
                [ $alive = 0 ] && return 0
                sleep 0.1; i=$((i+1))
            done
        }
        signal_all TERM
        wait_gone 50
        signal_all KILL
        wait_gone 30
        rm -rf "$dir"
        """
}
