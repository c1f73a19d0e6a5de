// Async handoff to a workqueue worker, like dm-crypt's kcryptd: the submitter kmap()s the
// buffer, queues the work and waits; the worker decrypts in place through that address.

// The worker is a kernel thread: whatever a fault pardons in it stays until it is left.
cpus 2
key pmem = 1 default noaccess
page buf key pmem highmem
channel req
completion done

task submitter cpu 0 {
    p = kmap(buf)
    write(p, 0)
    send(req, p)
    queue_work(decrypt)
    wait_for_completion(done)
    read(p, 0)
    kunmap(buf)
    return_to_user()
}

worker kcryptd cpu 1

work decrypt on kcryptd {
    p = recv(req)
    read(p, 0)
    write(p, 0)
    complete(done)
}
