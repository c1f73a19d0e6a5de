// The seeded handoff bug, fixed: the task waits for the softirq before kunmap().
cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel c
completion done
task t cpu 0 {
    p = kmap(buf)
    send(c, p)
    wait_for_completion(done)
    kunmap(buf)
}
softirq s cpu 1 on c {
    q = recv(c)
    write(q, 0)
    complete(done)
}
