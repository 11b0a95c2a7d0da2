import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process started with posix_spawn, owned by the object: stdin from /dev/null, stdout and
/// stderr appended to `logPath`, no other inherited descriptors, its own process group (so a
/// terminal's Ctrl-C reaches only the test process, whose clean-up then stops it), default
/// signal dispositions and an empty signal mask. It is reaped with waitpid, so once `stop()`
/// returns the PID is gone, not a zombie.
package final class ChildProcess: @unchecked Sendable {
    package let pid: pid_t
    package let executable: String
    package let arguments: [String]
    package let logPath: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    package init(
        executable: String, arguments: [String], workingDirectory: String, logPath: String,
        environment: [String: String] = [:], service: String
    ) throws(SandboxError) {
        self.executable = executable
        self.arguments = arguments
        self.logPath = logPath
        self.pid = try Self.spawn(
            executable: executable, arguments: arguments, workingDirectory: workingDirectory, logPath: logPath,
            environment: environment, service: service)
    }

    /// The exit status once the process has ended (reaping it if it just did), else nil.
    package func exitStatusIfExited() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || (result == -1 && errno == ECHILD) {
            exitStatus = status
        }
        return exitStatus
    }

    package var isRunning: Bool { exitStatusIfExited() == nil }

    /// Waits up to `timeout` seconds for the process to end; true when it has.
    @discardableResult
    package func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; returns once the process is reaped.
    package func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if waitForExit(timeout: grace) { return }
        kill(pid, SIGKILL)
        waitForExit(timeout: 30)
    }

    /// Sends SIGKILL and reaps: a crash as far as the service's peers can tell.
    package func kill9() {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        waitForExit(timeout: 30)
    }

    /// Runs a command to completion (up to `timeout` seconds, then killed) and returns its exit
    /// status and combined output, which is also appended to `logPath`. For commands outside any
    /// sandbox folder; inside one, use `SandboxFolder.run`, which records the PID while it runs.
    package static func run(
        executable: String, arguments: [String], workingDirectory: String, logPath: String,
        timeout: Double, service: String
    ) throws(SandboxError) -> (status: Int32, output: String) {
        let start = LogFile.size(logPath)
        let child = try ChildProcess(
            executable: executable, arguments: arguments, workingDirectory: workingDirectory, logPath: logPath,
            service: service)
        return try child.collect(timeout: timeout, logStart: start, service: service)
    }

    /// Waits for a command started by `run` to end; kills it after `timeout` seconds.
    func collect(timeout: Double, logStart: Int, service: String) throws(SandboxError) -> (
        status: Int32, output: String
    ) {
        if !waitForExit(timeout: timeout) {
            kill9()
            throw SandboxError(
                .commandFailed, service: service,
                message: "\(([executable] + arguments).joined(separator: " ")) did not finish in \(timeout) s",
                logTail: LogFile.tail(logPath))
        }
        let output = LogFile.read(logPath, from: logStart)
        let raw = exitStatusIfExited() ?? -1
        let status: Int32 = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return (status, output)
    }

    private static func spawn(
        executable: String, arguments: [String], workingDirectory: String, logPath: String,
        environment: [String: String], service: String
    ) throws(SandboxError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc 2.34+ extensions, not visible through Swift's Glibc module: looked up by name.
        if let closeFrom = GlibcExtensions.closeFrom {
            _ = closeFrom(&actions, 3)
        }
        guard let changeDirectory = GlibcExtensions.changeDirectory,
            changeDirectory(&actions, workingDirectory) == 0
        else {
            throw SandboxError(
                .spawnFailed, service: service, message: "posix_spawn_file_actions_addchdir_np unavailable")
        }

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SandboxError(
                .spawnFailed, service: service,
                message: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }
}

/// posix_spawn file actions of glibc that Swift's Glibc module does not import (they sit behind
/// _GNU_SOURCE), resolved once with dlsym.
private enum GlibcExtensions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory =
        @convention(c) (
            UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
        ) -> Int32

    static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let changeDirectory: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
