// A DAX path that opens the key for READ and then writes, like a read path that updates
// metadata in place: READ and WRITE are distinct rights, so the write must fault.

// A write with only AD cleared still hits WD (CR0.WP=1). No kmap() is involved, so no page is
// globally unprotected: a pardon has nothing to justify it.
cpus 1
key pmem = 1 default noaccess
page dax0 key pmem

task reader cpu 0 {
    p = page_address(dax0)
    grant_access(pmem, READ)
    read(p, 0)
    write(p, 0x10)
    revoke_access(pmem, READ)
    return_to_user()
}

// Expectations per design. The read is legit (READ was asked for); the write is a stray: the code
// never asked for WRITE.
expect legitAccesses == 1
expect strayAccesses == 1
expect legitBroken == 0
// No PKS: the write goes through unnoticed.
expect none straysMissed == 1
expect scoped:off straysMissed == 1
// global: thread-local grants keep READ and WRITE apart; the fault is never pardoned: oops, the
// task is killed.
expect global straysCaught == 1
expect global oopses == 1
// abandon: the fault is pardoned with a warning and the key abandoned (one CPU: no IPI).
expect abandon straysWarned == 1
expect abandon ipis == 0
// exception: its set/clear API cannot grant READ only, so the write is allowed: missed.
expect exception straysMissed == 1
expect exception faults == 0
// scoped, every mode but off: WD blocks the write; no kmap() made the page globally unprotected,
// so even RELAXED and SILENT oops.
expect scoped:strict straysCaught == 1
expect scoped:relaxed straysCaught == 1
expect scoped:silent straysCaught == 1
expect scoped:relaxed warnings == 0
