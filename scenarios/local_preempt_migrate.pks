// kmap_local_page() held across preemption and migration attempts, like a filesystem
// checksumming a page in a loop that calls cond_resched().

// The mapping must survive the switch-out and come back on switch-in (the task's PKRS with it),
// while the other task on the same CPU maps its own page. __kmap_local_pfn_prot() disables
// migration, so migrate(1) while the mapping is held is only an attempt.
cpus 2
key pmem = 1 default noaccess
page data key pmem
page other key pmem

task scrub cpu 0 {
    p = kmap_local_page(data)
    read(p, 0)
    cond_resched()
    read(p, 0x200)
    schedule()
    migrate(1)
    read(p, 0x400)
    kunmap_local(p)
    migrate(1)
    return_to_user()
}

task neighbour cpu 0 {
    q = kmap_local_page(other)
    write(q, 0)
    schedule()
    write(q, 8)
    kunmap_local(q)
    return_to_user()
}

// Expectations per design. The mappings survive preemption (PKRS saved and restored with the
// task), so none of the 5 legit-local accesses faults under any design. The migrate(1) while the
// mapping is held is refused (one report); the one after kunmap_local() succeeds.
expect legitAccesses == 5
expect legitBroken == 0
expect faults == 0
expect reports == 1
expect finished == 1
