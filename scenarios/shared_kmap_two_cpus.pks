// Two CPUs kmap() the same page, like two readers of one highmem page-cache page: one pkmap
// slot, a use count of two, and the slot stays until the last kunmap().

arch x86_32
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

// Expectations per design. One pkmap slot with a use count of 2; 4 legit-local reads.
expect legitAccesses == 4
expect legitBroken == 0
// global: open at the first kmap(), closed at the last kunmap(): one IPI each way.
expect global ipis == 2
expect global faults == 0
expect scoped faults == 0
// abandon (V7): reader_a's kmap() is flagged invalid: WARN_ONCE, and the key is abandoned for
// everyone but opened on cpu0 only (no IPI). reader_b's kmap() finds it abandoned already and
// does nothing, so cpu1 still has the key closed: reader_b's first read faults, the handler sees
// an abandoned key, opens it in the frame and retries without a word.
expect abandon warnings == 1
expect abandon faults == 1
expect abandon legitSilent == 1
expect abandon ipis == 0
// exception: each reader's first read faults (kmap() opens nothing): one printed warning, one
// silent pardon.
expect exception faults == 2
expect exception legitWarned == 1
expect exception legitSilent == 1
expect none faults == 0
expect none pkrsWrites == 0
