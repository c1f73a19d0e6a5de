// A kunmap() from another context than the one that kmap()ped: the consumer of an async
// handoff unmaps the owner's mapping. Under global the kunmap() closes the key everywhere; under
// scoped it cannot touch the owner's PKRS (another context's saved state), so the owner keeps
// the key open until it is left, and its later strays go through.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
page meta key pmem
channel req
completion done

task owner cpu 0 {
    p = kmap(buf)
    send(req, p)
    wait_for_completion(done)
    read(p, 0)
    stray_write(meta, 0x40)
    return_to_user()
}

softirq consumer cpu 1 on req {
    q = recv(req)
    write(q, 0)
    kunmap(buf)
    complete(done)
}

// The owner's read after the consumer's kunmap() is a use after unmap, and its write to meta a
// forged pointer: two strays. global closes the key at the kunmap(): the read oopses.
expect global strayAccesses == 1
expect global straysCaught == 1
expect reports >= 1
// scoped: the owner's key stays open after the foreign kunmap(): both strays are missed.
expect scoped:relaxed straysMissed == 2
expect scoped:silent straysMissed == 2
