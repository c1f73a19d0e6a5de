// Nested kmap_local_page() in a hardirq on top of a task's, like a NIC interrupt copying into
// an skb fragment page while the interrupted task holds its own local mapping.

// Interrupt entry loads the default PKRS: the handler gets no rights from the task it
// interrupted, maps its own page on top of the task's kmap_local stack and pops it before exit.
cpus 1
key pmem = 1 default noaccess
page file_page key pmem
page skb_frag key pmem

task reader cpu 0 {
    p = kmap_local_page(file_page)
    read(p, 0)
    raise_irq(nic)
    read(p, 0x80)
    kunmap_local(p)
    return_to_user()
}

hardirq nic cpu 0 {
    q = kmap_local_page(skb_frag)
    write(q, 0x40)
    kunmap_local(q)
}

// Expectations per design. 3 legit-local accesses (2 by the task, 1 by the hardirq).
expect legitAccesses == 3
expect legitBroken == 0
// Every design but exception gives the hardirq its own rights for its own mapping: no fault.
expect none faults == 0
expect global faults == 0
expect abandon faults == 0
expect scoped faults == 0
// exception: the nesting count is the task's: the hardirq's kmap_local only bumps it from 1 to 2
// and writes nothing, so the hardirq runs with the default PKRS and its write faults (warned).
expect exception faults == 1
expect exception legitWarned == 1
