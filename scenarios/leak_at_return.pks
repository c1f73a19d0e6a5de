// A kmap_local_page() leaked at the return to user space, like an error path that forgets
// kunmap_local(): the task's kmap_local stack must be empty when it leaves the kernel.

cpus 1
key pmem = 1 default noaccess
page buf key pmem

task ioctl cpu 0 {
    p = kmap_local_page(buf)
    read(p, 0)
    return_to_user()
}

// Expectations per design. The leaked kmap_local is reported once at return to user space,
// under every design (the rights it opened go with it); the read itself is legit.
expect leaks == 1
expect legitAccesses == 1
expect legitBroken == 0
expect faults == 0
