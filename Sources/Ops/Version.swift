/// The one place the sluice version string lives. `sluice --version` prints it, and logs and
/// metrics may report it.
public enum SluiceVersion {
    public static let current = "0.1.0"
}
