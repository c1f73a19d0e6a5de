// five.pks: four.pks with a fifth task and CPU: 15^5 = 759,375 states without reduction, big
// enough for --workers to repay its threads (README, Worker threads).
cpus 5
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
task t4 cpu 4 {
    repeat 3 {
        p = kmap(pg)
        write(p, 0)
        kunmap(pg)
    }
}
