/* The 4-CPU model of `pksim explore` (bench/explore/four.pks) at pksim's granularity: each
 * task takes 3 rounds of kmap(pg); write(p, 0); kunmap(pg) of one protected page, each
 * statement one atomic step, as one pksim statement is. `unprotect` is the page's unprotect
 * count (the proposal's refcount), `open[i]` the key in task i's PKRS, `on[i]` whether task i
 * has been switched in on its CPU.
 *
 * Each task has 15 states, as in pksim: before its CPU switches to it, then the switch (pksim's
 * first step on an idle CPU), the loop head (pksim's `repeat`, then its loop end after each
 * round), and per round before kmap, before the write and before kunmap (3 x 4), and done (the
 * last loop end: pksim returns to user space and switches back to idle). The tasks never
 * terminate (they stay at `end`), as pksim's done tasks stay in the state, and there is no
 * init process: SPIN stores 15^4 = 50,625 states, pksim's count. */
byte unprotect = 0;
bool open[4];
bool on[4];

active [4] proctype task() {
  byte r = 0;
  on[_pid] = true;                                   /* switch from idle to the task */
  do
  :: r < 3 ->                                        /* repeat 3 (its head, then its end) */
       atomic { unprotect++; open[_pid] = true };    /* p = kmap(pg) */
       assert(open[_pid]);                           /* write(p, 0): the key is open */
       atomic { unprotect--; open[_pid] = false };   /* kunmap(pg) */
       r++
  :: else -> break                                   /* the last loop end: done */
  od;
end:
  false
}
