// Async handoff to a softirq, the case in tglx's mail: a task kmap()s a buffer and submits it,
// the block completion softirq writes through that address, then the task kunmap()s.

// The softirq's write is legit-handoff: the mapping is a live kmap() made by another context.
// This is the access that RELAXED exists to find.
cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem
channel bio
completion done

task writer cpu 0 {
    p = kmap(buf)
    write(p, 0)
    send(bio, p)
    wait_for_completion(done)
    read(p, 0)
    kunmap(buf)
    return_to_user()
}

softirq block_done cpu 1 on bio {
    p = recv(bio)
    write(p, 0x10)
    complete(done)
}
