// pkmap pool exhaustion with a sleeper, like kmap_high() waiting on pkmap_map_wait when all
// LAST_PKMAP slots are in use; a kunmap() frees a slot and wakes it.

// With last_pkmap 2 the holder takes both slots; the second task's kmap() must sleep.
arch x86_32
cpus 2
last_pkmap 2
key pmem = 1 default noaccess
page a key pmem highmem
page b key pmem highmem
page c key pmem highmem
completion held

task holder cpu 0 {
    pa = kmap(a)
    pb = kmap(b)
    complete(held)
    read(pa, 0)
    read(pb, 0)
    schedule()
    kunmap(a)
    kunmap(b)
    return_to_user()
}

task sleeper cpu 1 {
    wait_for_completion(held)
    pc = kmap(c)
    write(pc, 0)
    kunmap(c)
    return_to_user()
}

// Expectations per design. With two slots held, the sleeper's kmap() sleeps once, under every
// design; the 3 accesses are legit-local.
expect pkmapSleeps == 1
expect legitAccesses == 3
expect legitBroken == 0
expect finished == 1
// exception: kmap() opens nothing: the holder's first read faults (warned; its pardon covers the
// second read), the sleeper's write faults (silent).
expect exception faults == 2
expect exception legitWarned == 1
expect exception legitSilent == 1
expect scoped faults == 0
// abandon (V7): the holder's kmap(a) is flagged invalid: one WARN_ONCE, and the key is abandoned
// for everyone, for good (no IPI): nothing faults after it.
expect abandon warnings == 1
expect abandon faults == 0
expect abandon ipis == 0
// global: the key goes open/closed twice (kmap(a) .. kunmap(b), then kmap(c) .. kunmap(c)): 4 IPIs.
expect global ipis == 4
