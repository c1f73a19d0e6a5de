// pkmap pool exhaustion with a sleeper, like kmap_high() waiting on pkmap_map_wait when all
// LAST_PKMAP slots are in use; a kunmap() frees a slot and wakes it.

// With last_pkmap 2 the holder takes both slots; the second task's kmap() must sleep.
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
