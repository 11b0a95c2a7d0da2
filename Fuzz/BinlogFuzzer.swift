// libFuzzer harness over the binlog decoder. Built by scripts/fuzz-decoder together with the
// Binlog sources into one module (swiftc -sanitize=fuzzer,address), so it calls FuzzEntry directly.
@_cdecl("LLVMFuzzerTestOneInput")
public func binlogFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = FuzzEntry.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
