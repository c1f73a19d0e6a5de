// The legal kmap(); kmap_local_page(); kunmap(); kunmap_local() sequence on one page, like a
// filesystem holding a kmap() of a directory page while a helper maps it locally to check it.

// After kunmap() the page must still be reachable through the local mapping: the protection
// state is a count, not a flag.
cpus 1
key pmem = 1 default noaccess
page dir key pmem highmem

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
