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
// global and scoped open the key at kmap() and kmap_local and keep it open after kunmap(), while
// the local mapping is live: no fault.
expect none faults == 0
expect global faults == 0
expect scoped faults == 0
// abandon (V7): the kmap() of a protected page is flagged invalid: WARN_ONCE at the kmap() and the
// key is abandoned for good, so nothing can fault after it.
expect abandon faults == 0
expect abandon warnings == 1
// exception: kmap() opens nothing: the first read faults (warned, pardoned in the task's saved
// PKRS); kmap_local's set then changes nothing, and its clear at kunmap_local() restores the
// default, ending the pardon.
expect exception faults == 1
expect exception legitWarned == 1
