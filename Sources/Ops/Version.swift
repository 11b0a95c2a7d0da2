/// The one place the sluice version string lives. `sluice --version` prints it, and logs and
/// metrics may report it.
package enum SluiceVersion {
    package static let current = "0.1.0"
}
