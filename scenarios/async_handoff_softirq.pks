// Async handoff to a softirq, the case in tglx's mail: a task kmap()s a buffer and submits it,
// the block completion softirq writes through that address, then the task kunmap()s.

// The softirq's write is legit-handoff: the mapping is a live kmap() made by another context.
// This is the access that RELAXED exists to find.
cpus 2
key pmem = 1 default noaccess
page buf key pmem
channel bio
completion done

task writer cpu 0 {
    p = kmap(buf)
    write(p, 0)
    send(bio, p)
    wait_for_completion(done)
    read(p, 0)
    kunmap(buf)
    return_to_user()
}

softirq block_done cpu 1 on bio {
    p = recv(bio)
    write(p, 0x10)
    complete(done)
}

// Expectations per design (the library is the regression suite; see test/scenario/library.expect.test.ts).
// The writer's own accesses are legit-local, the softirq's write is legit-handoff: 3 legit accesses.
// No PKS (none, scoped:off): nothing faults.
expect none faults == 0
expect scoped:off faults == 0
expect none finished == 1
// global: kmap() opens key 1 on every CPU (an IPI to cpu1), kunmap() closes it (another IPI); the
// softirq's entry loads the default, which has the globally opened key: no fault.
expect global ipis == 2
expect global faults == 0
expect global finished == 1
// abandon (V7): kmap() of a protected page is flagged invalid: WARN_ONCE("Page map protection
// disabled") at the kmap() and the key is abandoned for everyone, with no IPI; the softirq's entry
// loads the default, where the key is already open: its write goes through, no fault.
expect abandon warnings == 1
expect abandon legitWarned == 0
expect abandon faults == 0
expect abandon ipis == 0
// exception: kmap() opens nothing, so the writer's own write faults first (the one printed
// warning, then its pardon lasts until return to user); the softirq's write is pardoned silently
// because WARN_ONCE is spent.
expect exception faults == 2
expect exception legitWarned == 1
expect exception legitSilent == 1
expect exception warnings == 1
// scoped: only the softirq's access faults (the writer's kmap() opened the key for the writer).
expect scoped:strict faults == 1
expect scoped:relaxed faults == 1
expect scoped:silent faults == 1
// STRICT: no pardon; an oops in softirq context panics the machine: the legit handoff is broken.
expect scoped:strict legitBroken == 1
expect scoped:strict panics == 1
// RELAXED: warns once and completes; SILENT: completes without a warning.
expect scoped:relaxed legitWarned == 1
expect scoped:relaxed warnings == 1
expect scoped:relaxed finished == 1
expect scoped:silent legitSilent == 1
expect scoped:silent warnings == 0
expect scoped:silent finished == 1
// Without PKS there are no PKRS writes and nothing to warn about; all 3 legit accesses complete.
expect none legitAccesses == 3
expect none pkrsWrites == 0
expect scoped:off legitAccesses == 3
expect scoped:off pkrsWrites == 0
