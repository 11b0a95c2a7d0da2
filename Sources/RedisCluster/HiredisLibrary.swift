import CHiredis

/// The hiredis this process loaded. hiredis 0.14 has no call that reports its version; its ABI
/// version is in the loaded file's name (`libhiredis.so.0.14`), and the headers sluice was built
/// against say the full version.
package enum HiredisLibrary {
    /// The version of the headers sluice was compiled with, e.g. "0.14.1".
    package static let headerVersion = "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"

    /// A C function of hiredis, for finding the file it was loaded from.
    package static let symbol = "redisReaderCreate"
}
