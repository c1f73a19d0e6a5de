// The 4-CPU model of bench/explore/four.pml: each task, 3 rounds of kmap/write/kunmap of one page.
cpus 4
key pmem = 1 default noaccess
page pg key pmem
task t0 cpu 0 {
    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
task t1 cpu 1 {
    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
task t2 cpu 2 {
    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
task t3 cpu 3 {
    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
