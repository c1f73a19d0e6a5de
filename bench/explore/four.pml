/* The 4-CPU model of `pksim explore` (bench/explore/four.pks) at pksim's granularity: each
 * task takes 3 rounds of kmap(pg); write(p, 0); kunmap(pg) of one protected page, kmap() and
 * kunmap() each one atomic step, as one pksim statement is. `unprotect` is the page's
 * unprotect count (the proposal's refcount), `open[i]` the key in task i's PKRS. */
byte unprotect = 0;
bool open[4];

proctype task(byte i) {
  byte r = 0;
  do
  :: r < 3 ->
       atomic { unprotect++; open[i] = true };      /* p = kmap(pg) */
       assert(open[i]);                              /* write(p, 0): the key is open */
       atomic { unprotect--; open[i] = false };     /* kunmap(pg) */
       r++
  :: else -> break
  od
}

init {
  atomic { run task(0); run task(1); run task(2); run task(3) }
}
