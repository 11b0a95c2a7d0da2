// sluice executable: wiring only. Commands are registered in Commands/Registry.swift.
import Foundation
import Ops

let exitCode = await Registry.tool.run(
    Array(CommandLine.arguments.dropFirst()), console: .standard(),
    environment: ProcessInfo.processInfo.environment)
exit(exitCode.rawValue)
