// The pure helpers (`eventually`, `waitUntil`, `SeededGenerator`, `BuiltBinary`, `LockedList`) live in TestHelpers,
// which pure test targets use without the server-starting code; whoever imports TestSupport gets them too.
@_exported import TestHelpers
