// The legal kmap(); kmap_local_page(); kunmap(); kunmap_local() sequence on one page, like a
// filesystem holding a kmap() of a directory page while a helper maps it locally to check it.

// After kunmap() the page must still be reachable through the local mapping: the protection
// state is a count, not a flag.
cpus 1
key pmem = 1 default noaccess
page dir key pmem

task lookup cpu 0 {
    d = kmap(dir)
    read(d, 0)
    c = kmap_local_page(dir)
    read(c, 0x100)
    kunmap(dir)
    read(c, 0x200)
    kunmap_local(c)
    return_to_user()
}

// Expectations per design. 3 legit-local accesses; the sequence is legal, so no design may
// break it or leave a count behind.
expect legitAccesses == 3
expect legitBroken == 0
expect reports == 0
expect leaks == 0
// Every design that opens the key at kmap() or kmap_local keeps it open after kunmap(), while
// the local mapping is live: no fault.
expect none faults == 0
expect global faults == 0
expect abandon faults == 0
expect scoped faults == 0
// exception: kmap() opens nothing: the first read faults (warned, pardoned in the task's frame
// until return to user).
expect exception faults == 1
expect exception legitWarned == 1
