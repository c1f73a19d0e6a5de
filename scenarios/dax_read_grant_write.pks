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
// abandon: the key fault warns (WARN_ONCE) and abandons the key for everyone, for good (V7 sends
// no IPI); the write is retried and goes through.
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
// Exposure: scoped's READ grant (end of tick 2 until the oops at tick 4) exposes the page to stray
// reads only; WD keeps stray writes out. exception's grant opens it read/write until the revoke at
// tick 5: 3 ticks of both.
expect scoped:relaxed exposureRead == 2
expect scoped:relaxed exposureWrite == 0
expect exception exposureWrite == 3
