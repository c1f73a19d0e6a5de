// Async handoff to a workqueue worker, like dm-crypt's kcryptd: the submitter kmap()s the
// buffer, queues the work and waits; the worker decrypts in place through that address.

// The worker is a kernel thread: whatever a fault pardons in it stays until it is left.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
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

// Expectations per design.
// No PKS: nothing faults, 4 legit accesses (2 by the submitter, 2 handed off to the worker).
expect none faults == 0
expect scoped:off faults == 0
expect none legitAccesses == 4
// global: one IPI to open the key everywhere at kmap(), one to close it at kunmap(); no fault.
expect global ipis == 2
expect global faults == 0
// abandon (V7): the submitter's kmap() of a protected page is flagged invalid: WARN_ONCE at the
// kmap() and the key is abandoned for everyone, for good, with no IPI; the worker loads the
// allowed mask when it is switched in, so its read and write go through without a fault.
expect abandon warnings == 1
expect abandon faults == 0
expect abandon legitWarned == 0
expect abandon ipis == 0
// exception: the submitter's own write faults (printed warning), then the worker's read faults
// (pardoned silently, WARN_ONCE spent); the worker's write uses that pardon.
expect exception faults == 2
expect exception legitWarned == 1
expect exception legitSilent == 1
// scoped:strict: the worker's read oopses, the worker (a task) is killed, not a panic, and the
// submitter waits for a completion that never comes.
expect scoped:strict legitBroken == 1
expect scoped:strict panics == 0
expect scoped:strict oopses == 1
expect scoped:strict finished == 0
// RELAXED/SILENT: one fault (the read); the pardon in the worker's saved PKRS covers the write.
expect scoped:relaxed faults == 1
expect scoped:relaxed legitWarned == 1
expect scoped:relaxed finished == 1
expect scoped:silent faults == 1
expect scoped:silent legitSilent == 1
expect scoped:silent warnings == 0
// Without PKS there are no PKRS writes; global breaks nothing and completes.
expect none pkrsWrites == 0
expect scoped:off legitAccesses == 4
expect scoped:off pkrsWrites == 0
expect global legitBroken == 0
expect global finished == 1
