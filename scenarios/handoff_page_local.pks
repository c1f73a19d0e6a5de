// The async job done the proposed way: the submitter hands over the page, not an address, and
// the completion softirq maps it itself with kmap_local_page().

// Same work as async_handoff_softirq, but every access is legit-local: no context ever
// touches another context's mapping, so no design needs a pardon.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
completion done

task writer cpu 0 {
    memcpy_to_page(buf, 0)
    raise_softirq(block_done)
    wait_for_completion(done)
    memcpy_from_page(buf, 0x10)
    return_to_user()
}

softirq block_done cpu 1 {
    q = kmap_local_page(buf)
    write(q, 0x10)
    kunmap_local(q)
    complete(done)
}

// Expectations per design. The page, not the address, is handed over; each side maps it
// locally: 3 legit-local accesses (2 by the writer's memcpy helpers, 1 by the softirq) and no
// design faults, warns or breaks anything.
expect legitAccesses == 3
expect legitBroken == 0
expect faults == 0
expect warnings == 0
expect finished == 1
// scoped: kmap_local grant and revoke write PKRS twice per mapping (3 mappings).
expect scoped:relaxed pkrsWrites == 6
expect global ipis == 0
