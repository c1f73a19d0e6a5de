// A kernel thread whose pardon outlives its work item, like a writeback or I/O completion
// kworker: it never returns to user space, so a key opened for one item stays open for the next.

// io_done uses a kmap() address handed over by the submitter (pardoned under RELAXED, in the
// worker's saved state); the next item, unrelated code, makes a stray write to another page of
// the same key while that pardon is still in force.
cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem
page meta key pmem lowmem
channel req
completion done

task submitter cpu 0 {
    p = kmap(buf)
    send(req, p)
    queue_work(io_done)
    wait_for_completion(done)
    kunmap(buf)
    queue_work(unrelated)
    return_to_user()
}

worker kworker cpu 1

work io_done on kworker {
    p = recv(req)
    write(p, 0)
    complete(done)
}

work unrelated on kworker {
    stray_write(meta, 0x20)
}
