import TestSupport
import XCTest

/// A DR cluster (3 masters) and a Tansu broker in one sandbox folder: what the DR applier's
/// live tests need, started once per test class (`start` in `setUp`, `close` in `tearDown`).
final class DRBrokerSandbox: @unchecked Sendable {
    let folder: SandboxFolder
    let dr: RedisClusterSandbox
    let broker: TansuBroker

    private init(folder: SandboxFolder, dr: RedisClusterSandbox, broker: TansuBroker) {
        self.folder = folder
        self.dr = dr
        self.broker = broker
    }

    /// The started services, or why they did not start.
    static func start(label: String) -> Result<DRBrokerSandbox, SandboxError> {
        var made: SandboxFolder?
        do throws(SandboxError) {
            let f = try SandboxFolder(label: label)
            made = f
            let ports = PortAllocator()
            let dr = try RedisClusterSandbox(in: f, ports: ports, name: "dr", masters: 3)
            return .success(DRBrokerSandbox(folder: f, dr: dr, broker: try TansuBroker(in: f, ports: ports)))
        } catch {
            made?.close()
            return .failure(error)
        }
    }

    /// The services of `started`, or a skip saying why there are none.
    static func services(_ started: Result<DRBrokerSandbox, SandboxError>?) throws -> DRBrokerSandbox {
        switch started {
        case .success(let s)?: return s
        case .failure(let error)?: throw XCTSkip("sandbox did not start: \(error)")
        case nil: throw XCTSkip("sandbox not started")
        }
    }

    func close() { folder.close() }
}
