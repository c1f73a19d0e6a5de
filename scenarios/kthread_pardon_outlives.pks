// A kernel thread whose pardon outlives its work item, like a writeback or I/O completion
// kworker: it never returns to user space, so a key opened for one item stays open for the next.

// io_done uses a kmap() address handed over by the submitter (pardoned under RELAXED, in the
// worker's saved state); the next item, unrelated code, makes a stray write to another page of
// the same key while that pardon is still in force.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
page meta key pmem
channel req
completion done

task submitter cpu 0 {
    p = kmap(buf)
    send(req, p)
    queue_work(io_done)
    wait_for_completion(done)
    kunmap(buf)
    queue_work(unrelated)
    return_to_user()
}

worker kworker cpu 1

work io_done on kworker {
    p = recv(req)
    write(p, 0)
    complete(done)
}

work unrelated on kworker {
    stray_write(meta, 0x20)
}

// Expectations per design. One legit-handoff write (io_done), one stray write (unrelated).
// No PKS: the stray is missed.
expect none straysMissed == 1
expect scoped:off straysMissed == 1
// global: the key is open everywhere only between kmap() and kunmap() (2 IPIs); by the time the
// unrelated item runs it is closed: the stray oopses and kills the worker.
expect global ipis == 2
expect global straysCaught == 1
expect global legitBroken == 0
// abandon (V7): the submitter's kmap() of a protected page is flagged invalid: WARN_ONCE at the
// kmap() and the key is abandoned for everyone, for good, before io_done runs; io_done's write
// and the stray both go through without a fault.
expect abandon legitWarned == 0
expect abandon warnings == 1
expect abandon straysMissed == 1
// exception: io_done's fault opens the key in the worker's frame, and a kernel thread is never
// left: the pardon still covers the stray.
expect exception legitWarned == 1
expect exception straysMissed == 1
// scoped:strict: io_done oopses, the worker dies, the submitter waits forever.
expect scoped:strict legitBroken == 1
expect scoped:strict finished == 0
// RELAXED/SILENT: the pardon outlives the work item, so the unrelated stray is missed (run with
// --reset-at work-item, or --reset-at schedule since the worker sleeps between the items, to see
// it caught).
expect scoped:relaxed legitWarned == 1
expect scoped:relaxed straysMissed == 1
expect scoped:silent legitSilent == 1
expect scoped:silent straysMissed == 1
// Fault and IPI counts: one fault at io_done under exception and scoped; global's only fault is the
// stray's; abandon has none (the key went at the kmap(), and V7 abandons without an IPI).
expect none faults == 0
expect none legitAccesses == 1
expect scoped:off faults == 0
expect scoped:off pkrsWrites == 0
expect abandon faults == 0
expect abandon ipis == 0
expect exception faults == 1
expect exception ipis == 0
expect scoped:strict oopses == 1
expect scoped:strict strayAccesses == 0
expect scoped:relaxed faults == 1
expect scoped:silent faults == 1
expect scoped:silent warnings == 0
// Windows: the submitter's key is open only while it holds its own kmap() (never unscoped);
// the worker's pardon keeps the key open with no mapping or grant of its own (unscoped) under
// RELAXED and SILENT, and STRICT never opens a key a context did not map.
expect scoped:relaxed unscopedTicks > 0
expect scoped:silent unscopedTicks > 0
expect scoped:strict unscopedTicks == 0
