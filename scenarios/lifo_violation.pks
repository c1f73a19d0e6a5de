// An out-of-order kunmap_local(), like a copy helper converted from kmap_atomic() that releases
// its first mapping first, which breaks the per-task LIFO stack of local mappings.

cpus 1
key pmem = 1 default noaccess
page src key pmem
page dst key pmem

task convert cpu 0 {
    s = kmap_local_page(src)
    d = kmap_local_page(dst)
    read(s, 0)
    write(d, 0)
    kunmap_local(s)
    kunmap_local(d)
    return_to_user()
}

// Expectations per design. The first kunmap_local() is not the top of the stack (warns, tears down
// the top), and then the second is not the top either: two LIFO violations under every design.
// The accesses come before and are legit.
expect lifoViolations == 2
expect legitAccesses == 2
expect faults == 0
expect leaks == 0
// kunmap_local_indexed()'s WARN_ON_ONCE prints a WARNING for the first violation only; the second
// is suppressed (it fired already) and counted in warningsSuppressed.
expect warnings == 1
expect warningsSuppressed == 1
