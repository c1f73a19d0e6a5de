// kmap_atomic() in a softirq, like the crypto API's scatterwalk copying a scatterlist page in the
// network receive path: a local mapping with preemption and page faults disabled.

cpus 1
key pmem = 1 default noaccess
page sg key pmem

task sender cpu 0 {
    raise_softirq(net_rx)
    schedule()
    return_to_user()
}

softirq net_rx cpu 0 {
    v = kmap_atomic(sg)
    read(v, 0)
    write(v, 0x20)
    kunmap_atomic(v)
}

// Expectations per design. kmap_atomic() is kmap_local with preemption and page faults off:
// 2 legit-local accesses in the softirq, nothing faults under any design.
expect legitAccesses == 2
expect legitBroken == 0
expect faults == 0
expect finished == 1
// scoped: the atomic mapping's grant and revoke are the only PKRS writes.
expect scoped:relaxed pkrsWrites == 2
