// A DAX path that opens the key for READ and then writes, like a read path that updates
// metadata in place: READ and WRITE are distinct rights, so the write must fault.

// A write with only AD cleared still hits WD (CR0.WP=1). No kmap() is involved, so no page is
// globally unprotected: a pardon has nothing to justify it.
cpus 1
key pmem = 1 default noaccess
page dax0 key pmem lowmem

task reader cpu 0 {
    p = page_address(dax0)
    grant_access(pmem, READ)
    read(p, 0)
    write(p, 0x10)
    revoke_access(pmem, READ)
    return_to_user()
}
