// The seeded handoff bug, G = 4: kunmap() 4 statements after the handoff, without waiting.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel c
completion done
task t cpu 0 {
    p = kmap(buf)
    send(c, p)
    nop()
    nop()
    nop()
    nop()
    kunmap(buf)
}
softirq s cpu 1 on c {
    q = recv(c)
    write(q, 0)
    complete(done)
}
