// Thread-local copy with kmap_local_page(), like copy_highpage() or the block layer's bounce
// buffer copy: map source and destination, copy, unmap in reverse order.

// Nothing leaves the task: every access is legit-local, and the mappings are gone before the
// return to user space. This is the case tglx's point 1 says PKS "just works" on.
cpus 1
key pmem = 1 default noaccess
page src key pmem
page dst key pmem

task cp cpu 0 {
    s = kmap_local_page(src)
    d = kmap_local_page(dst)
    repeat 4 {
        read(s, 0x100)
        write(d, 0x100)
    }
    kunmap_local(d)
    kunmap_local(s)
    return_to_user()
}

// Expectations per design. 8 legit-local accesses (4 reads, 4 writes); PKS "just works": no
// design faults, and the mappings are gone before the return to user space.
expect legitAccesses == 8
expect legitBroken == 0
expect faults == 0
expect leaks == 0
expect lifoViolations == 0
// scoped: one PKRS write to open key 1 at the first kmap_local, one to close it at the last
// unmap (the nested ones change nothing and are skipped by the per-CPU cache).
expect scoped:relaxed pkrsWrites == 2
