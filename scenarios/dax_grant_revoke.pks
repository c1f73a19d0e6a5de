// DAX read and write with grant_access()/revoke_access(), like fs/dax.c copying between a user
// buffer and persistent memory: each side opens only what it needs, for its own context only.

// The pmem pages are in the direct map: page_address() is the address, no kmap.
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
// Exposure (page x tick a stray read or write could reach unnoticed; 2 pmem pages, both always
// in the direct map):
// none/off: every tick a task runs: 12 ticks each for the reader and the writer = 24 CPU-ticks x 2.
expect none exposure == 48
expect scoped:off exposure == 48
expect none exposureWrite == 48
// scoped: the reader's READ grant (end of its grant tick 4 to its revoke at 10: 6 ticks) exposes
// both pages to stray reads, the writer's READ|WRITE grant (ticks 5 to 11: 6 ticks) to stray reads
// and writes: (6 + 6) x 2 = 24 read, 6 x 2 = 12 write (the READ grant leaves WD set).
expect scoped:strict exposure == 24
expect scoped:relaxed exposure == 24
expect scoped:silent exposure == 24
expect scoped:relaxed exposureRead == 24
expect scoped:relaxed exposureWrite == 12
// global and abandon keep grants thread-local with READ and WRITE apart, as scoped does.
expect global exposureWrite == 12
expect abandon exposureWrite == 12
// exception: the set/clear API has no READ vs WRITE: the reader's READ grant opens the key
// read/write too, doubling the write exposure (the total is the same: the reader's pages were
// already exposed to stray reads).
expect exception exposure == 24
expect exception exposureWrite == 24
// Each grant and each revoke writes PKRS once (2 tasks x 2 writes); no PKS, no writes.
expect scoped:strict pkrsWrites == 4
expect none pkrsWrites == 0
