// Three CPUs kmap(), write and kunmap() one page twice each: the broken refcount's race, bigger.
cpus 3
key pmem = 1 default noaccess
page pg key pmem
task t0 cpu 0 {
    repeat 2 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
task t1 cpu 1 {
    repeat 2 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
task t2 cpu 2 {
    repeat 2 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
