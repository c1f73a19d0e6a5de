// DAX read and write with grant_access()/revoke_access(), like fs/dax.c copying between a user
// buffer and persistent memory: each side opens only what it needs, for its own context only.

// The pmem pages are in the direct map (lowmem): page_address() is the address, no kmap.
// Rights are per key, not per page: the reader's READ grant opens every pmem page for it.
cpus 2
key pmem = 1 default noaccess
page dax0 key pmem
page dax1 key pmem

task reader cpu 0 {
    p = page_address(dax0)
    grant_access(pmem, READ)
    read(p, 0)
    read(p, 0x200)
    revoke_access(pmem, READ)
    return_to_user()
}

task writer cpu 1 {
    q = page_address(dax1)
    grant_access(pmem, READ|WRITE)
    read(q, 0)
    write(q, 0)
    revoke_access(pmem, READ|WRITE)
    return_to_user()
}

// Expectations per design. Every access is legit (the code asked for the rights it uses) and no
// design breaks one: 4 legit accesses, no fault.
expect legitAccesses == 4
expect legitBroken == 0
expect faults == 0
// Exposure (page x tick writable unnoticed; 2 pmem pages, both always mapped):
// none/off: every tick a task runs: cpu0 from tick 0 to 12, cpu1 from tick 1 to 12 = 24 CPU-ticks x 2.
expect none exposure == 48
expect scoped:off exposure == 48
// scoped: only the writer's READ|WRITE window (end of its grant tick 5 to its revoke at 11: 6
// ticks) x 2 pages; the reader's READ grant leaves WD set, so nothing is writable for it.
expect scoped:strict exposure == 12
expect scoped:relaxed exposure == 12
expect scoped:silent exposure == 12
// exception: the set/clear API has no READ vs WRITE: the reader's READ grant opens the key
// read/write too, doubling the exposure.
expect exception exposure == 24
// Each grant and each revoke writes PKRS once (2 tasks x 2 writes); no PKS, no writes.
expect scoped:strict pkrsWrites == 4
expect none pkrsWrites == 0
