// Two CPUs kmap() the same page, like two readers of one highmem page-cache page: one pkmap
// slot, a use count of two, and the slot stays until the last kunmap().

cpus 2
key pmem = 1 default noaccess
page shared key pmem highmem

task reader_a cpu 0 {
    p = kmap(shared)
    read(p, 0)
    schedule()
    read(p, 0x40)
    kunmap(shared)
    return_to_user()
}

task reader_b cpu 1 {
    q = kmap(shared)
    read(q, 0x80)
    read(q, 0xc0)
    kunmap(shared)
    return_to_user()
}
