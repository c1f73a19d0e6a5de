// Three levels of kmap_local_page(): a task, a hardirq on top of it and an NMI on top of that,
// like a perf NMI sampling while a network interrupt copies into a buffer page.

// Each level enters with the default PKRS and must leave the one below it as it found it.
cpus 1
key pmem = 1 default noaccess
page a key pmem
page b key pmem
page c key pmem

task app cpu 0 {
    p = kmap_local_page(a)
    write(p, 0)
    raise_irq(nic)
    read(p, 0)
    kunmap_local(p)
    return_to_user()
}

hardirq nic cpu 0 {
    q = kmap_local_page(b)
    write(q, 0)
    raise_irq(perf)
    read(q, 0)
    kunmap_local(q)
}

nmi perf cpu 0 {
    r = kmap_local_page(c)
    read(r, 0)
    kunmap_local(r)
}

// Expectations per design. 5 legit-local accesses over three nesting levels.
expect legitAccesses == 5
expect legitBroken == 0
expect none faults == 0
expect global faults == 0
expect abandon faults == 0
expect scoped faults == 0
// exception: the task's count is already 1 when the hardirq and then the NMI map: neither gets a
// PKRS write; the hardirq's write faults (the printed warning), the NMI's read faults (silent,
// WARN_ONCE spent).
expect exception faults == 2
expect exception legitWarned == 1
expect exception legitSilent == 1
