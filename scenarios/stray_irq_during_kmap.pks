// An unrelated interrupt makes a stray write during another context's kmap() window, like a
// buggy driver's interrupt handler scribbling through a stale pointer into a pmem page.

// Under global, the kmap() opens the key on every CPU, so the stray goes through unnoticed.
// Under scoped, only the mapping context has the key open: the stray faults.
cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem

task writer cpu 0 {
    p = kmap(buf)
    write(p, 0)
    raise_irq(buggy)
    repeat 4 {
        read(p, 0)
    }
    kunmap(buf)
    return_to_user()
}

hardirq buggy cpu 1 {
    stray_write(buf, 0x80)
}
