// DAX read and write with grant_access()/revoke_access(), like fs/dax.c copying between a user
// buffer and persistent memory: each side opens only what it needs, for its own context only.

// The pmem pages are in the direct map (lowmem): page_address() is the address, no kmap.
// Rights are per key, not per page: the reader's READ grant opens every pmem page for it.
cpus 2
key pmem = 1 default noaccess
page dax0 key pmem lowmem
page dax1 key pmem lowmem

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
