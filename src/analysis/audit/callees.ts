// Callee knowledge as data: which kernel functions use a pointer they are given only until
// they return (sync), which hand it to another context or keep it (async), and which
// consume given fields of a struct before returning. One entry per line, with the reason
// after the colon; `--callees FILE` adds or overrides entries in the same format. The
// default list is a string here (not a .txt beside it) so that it ships in dist/ with tsc.
//
//   sync   memcpy: copies and returns          an exact name
//   sync   str*: string helpers                 a trailing or leading * matches a prefix/suffix
//   async  queue_work: runs the work later      the pointer escapes to another context
//   consume zlib_deflate(next_in): ...           a store into s->next_in is read before return
//   sync   ->xcode: ...                          an indirect call through a member of that name
//   pair   ->iomap_begin(iomap_end): ...         the core calls the ops' ->iomap_end after their
//                                               ->iomap_begin in the same task: what begin hands
//                                               over, end may release
//
// Lines starting with # are comments. Later entries (the user's file) win over earlier ones.

import { AuditError } from './errors.js';

export type CalleeKind = 'sync' | 'async' | 'consume' | 'pair';

export interface CalleeEntry {
  kind: CalleeKind;
  name: string; // exact name, a pattern with *, or ->member
  fields: string[]; // for consume: the struct fields read before returning; for pair: the closing member
  why: string;
  origin: string; // file:line of the entry
}

export const DEFAULT_CALLEES = `
# Copies, compares, string and checksum helpers: read or write the buffer and return.
sync memcpy: copies and returns
sync memset: fills and returns
sync memmove: copies and returns
sync memcmp: compares and returns
sync memchr: searches and returns
sync memchr_inv: searches and returns
sync memscan: searches and returns
sync memzero_explicit: clears and returns
sync memcpy_to_page: copies into a page and returns
sync memcpy_from_page: copies from a page and returns
sync str*: string helpers work in place and return
sync copy_to_user*: copies to user space and returns
sync copy_from_user*: copies from user space and returns
sync __copy_*: user copies, return when done
sync copy_to_iter: copies into the iterator and returns
sync copy_from_iter: copies from the iterator and returns
sync copy_page*: copies a page and returns
sync clear_page: clears and returns
sync clear_user: clears and returns
sync flush_dcache_page: cache maintenance on the page, keeps nothing
sync flush_kernel*: cache maintenance, keeps nothing
sync crc*: checksums the buffer and returns
sync csum*: checksums the buffer and returns
sync print*: formats and returns
sync pr_*: logs and returns
sync dev_err: logs and returns
sync dev_warn: logs and returns
sync dev_info: logs and returns
sync dev_dbg: logs and returns
sync WARN*: logs and returns
sync BUG_ON: checks and returns
sync hex_dump*: dumps and returns
sync print_hex_dump*: dumps and returns
sync le*_to_cpu*: byte-order helpers read and return
sync cpu_to_le*: byte-order helpers read and return
sync be*_to_cpu*: byte-order helpers read and return
sync cpu_to_be*: byte-order helpers read and return
sync get_unaligned*: reads and returns
sync put_unaligned*: writes and returns
sync sizeof: not a call
sync min: compares values
sync max: compares values
sync min_t: compares values
sync max_t: compares values
sync offset_in_page: arithmetic on the address
sync virt_to_page: looks the page up, keeps nothing
sync page_address: looks the address up, keeps nothing
sync kfree: frees another object; the mapped address is never freed
sync sg_virt: computes an address
sync unlikely: a branch hint
sync likely: a branch hint
sync IS_ERR: tests the value
sync PTR_ERR: converts the value
sync ERR_PTR: converts the value
sync ALIGN: arithmetic
sync test_bit: reads a bit and returns
sync set_bit: sets a bit and returns
sync clear_bit: clears a bit and returns
sync __set_bit: sets a bit and returns
sync __clear_bit: clears a bit and returns
sync find_*bit*: searches a bitmap and returns
sync bitmap_*: bitmap helpers work in place and return
sync kasan_*: sanitizer bookkeeping, keeps no pointer for later use
sync kmsan_*: sanitizer bookkeeping, keeps no pointer for later use
# Socket helpers send or receive before they return; the iov/kvec is read during the call.
sync iov_iter_kvec: sets up an iterator over the caller's kvec for a synchronous call
sync iov_iter_init: sets up an iterator for a synchronous call
sync kernel_sendmsg*: sends the kvec data before returning
sync kernel_recvmsg: receives into the kvec before returning
sync sock_sendmsg: sends before returning
sync sock_recvmsg: receives before returning
# Compression streams: the input/output pointers are consumed during the call.
consume zlib_deflate(next_in,next_out): consumes next_in and fills next_out before returning
consume zlib_inflate(next_in,next_out): consumes next_in and fills next_out before returning
sync zlib_deflate: compresses from and into the stream buffers before returning
sync zlib_inflate: decompresses from and into the stream buffers before returning
# Indirect calls whose every implementation in the tree is synchronous (read in 6.1).
sync ->readsect: mtd_blktrans_ops readsect implementations (ftl, nftl, inftl, mtdblock, mtdswap) copy the sector before returning
sync ->writesect: mtd_blktrans_ops writesect implementations copy the sector before returning
sync ->xcode: xdr_array2_desc xcode callbacks (nfsacl) encode or decode one element and return
sync ->sync_read: smb_version_operations sync_read (cifs, smb2) waits for the reply
sync ->sync_write: smb_version_operations sync_write (cifs, smb2) waits for the send
# Deferred work, timers, RCU, completions: what they are given is used in another context.
async queue_work: runs the work item in a worker thread
async queue_*: queues for another context
async queue_delayed_work: runs the work item later in a worker thread
async schedule_work: runs the work item in a worker thread
async schedule_delayed_work: runs the work item later in a worker thread
async INIT_WORK: prepares a work item that runs in a worker thread
async INIT_DELAYED_WORK: prepares a work item that runs later
async kthread_*: runs or feeds a kernel thread
async tasklet_*: runs in softirq context
async call_rcu: runs the callback after a grace period
async init_completion: another context completes it
async complete: wakes another context
async complete_all: wakes other contexts
async timer_setup: the timer runs in softirq context
async mod_timer: the timer runs in softirq context
async add_timer: the timer runs in softirq context
async request_irq: the handler runs in interrupt context
# Block I/O and scatterlists: the buffer is used by a device or a later completion.
async submit_bio: the I/O completes in another context
async bio_add_*: the bio is submitted and completed later
async bio_init: the bio is submitted and completed later
async sg_set_buf: the scatterlist entry is used by DMA or a later consumer
async sg_init_one: the scatterlist entry is used by DMA or a later consumer
async sg_set_page: the scatterlist entry is used by DMA or a later consumer
async sg_init_table: the scatterlist is used by DMA or a later consumer
async async_*: asynchronous by name
async *_async: asynchronous by name
async *_submit*: submits work that completes in another context
async *_enqueue*: queues for another context
async *_queue*: queues for another context
async *_set_callback: registers a callback run later
async *_register*: registers for later use
# Containers: the pointer is kept after the call.
async list_add*: links into a list that outlives the call
async hlist_add*: links into a list that outlives the call
async llist_add: links into a list that outlives the call
async xa_store*: stored in an xarray that outlives the call
async radix_tree_insert: stored in a radix tree that outlives the call
async idr_alloc*: stored in an IDR that outlives the call
async kfifo_in*: queued in a FIFO read later
async swap*_push: pushed onto a stack read later
# Operation pairs the core calls in one task: a mapping ->iomap_begin hands to the core (in
# iomap->private) is released by the same ops' ->iomap_end before iomap_iter() moves on.
pair ->iomap_begin(iomap_end): iomap_iter() calls ->iomap_end after ->iomap_begin in the same task
`;

const LINE = /^(sync|async|consume|pair)\s+((?:->)?[\w*]+)(?:\(([\w\s,]+)\))?\s*:\s*(\S.*)$/;

/** Parse callee data; `file` names the source in errors and origins. Bad lines are AUD004. */
export function parseCallees(text: string, file: string): CalleeEntry[] {
  const out: CalleeEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE.exec(line);
    const withFields = m?.[1] === 'consume' || m?.[1] === 'pair';
    if (
      !m ||
      withFields !== Boolean(m[3]) ||
      /\*.*\*.*\*/.test(m[2]!) ||
      (m[2]!.startsWith('->') && m[2]!.includes('*')) ||
      (m[1] === 'pair' && (!m[2]!.startsWith('->') || m[3]!.includes(',')))
    ) {
      throw new AuditError(
        'AUD004',
        `${file}:${i + 1}: expected 'sync|async NAME: why', 'consume NAME(field,...): why' or 'pair ->BEGIN(END): why', got '${line.slice(0, 60)}'`,
      );
    }
    out.push({
      kind: m[1] as CalleeKind,
      name: m[2]!,
      fields: m[3]
        ? m[3]
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean)
        : [],
      why: m[4]!,
      origin: `${file}:${i + 1}`,
    });
  });
  return out;
}

function globRe(p: string): RegExp {
  return new RegExp(`^${p.replace(/\*/g, '\\w*')}$`);
}

/** Lookups over the default entries plus the user's. Exact names beat patterns; later entries win. */
export class Callees {
  private exact = new Map<string, CalleeEntry>();
  private consumers = new Map<string, CalleeEntry>();
  private patterns: { re: RegExp; e: CalleeEntry }[] = [];
  private pairs = new Map<string, CalleeEntry>();

  constructor(entries: CalleeEntry[]) {
    for (const e of entries) {
      if (e.kind === 'pair') this.pairs.set(e.name, e);
      else if (e.kind === 'consume') this.consumers.set(e.name, e);
      else if (e.name.includes('*')) this.patterns.unshift({ re: globRe(e.name), e });
      else this.exact.set(e.name, e);
    }
  }

  /** What is known about a direct call of `name`, or an indirect call through member `->name`. */
  lookup(name: string): CalleeEntry | null {
    const e = this.exact.get(name);
    if (e) return e;
    if (name.startsWith('->')) return null;
    // Queueing patterns are checked before the synchronous ones, as the regexes were.
    return this.patterns.find((p) => p.e.kind === 'async' && p.re.test(name))?.e ?? this.patterns.find((p) => p.re.test(name))?.e ?? null;
  }

  /** The pair entry whose opening member is `->member` (its `fields[0]` names the closing one). */
  pairOf(member: string): CalleeEntry | null {
    return this.pairs.get(`->${member}`) ?? null;
  }

  /** A consume entry for `name` reading `field`, if any. */
  consumes(name: string, field: string): CalleeEntry | null {
    const e = this.consumers.get(name);
    return e && e.fields.includes(field) ? e : null;
  }
}

let defaults: CalleeEntry[] | null = null;

export function defaultCallees(): CalleeEntry[] {
  defaults ??= parseCallees(DEFAULT_CALLEES, '<built-in callees>');
  return defaults;
}

/** The callee table for a run: the defaults, then the user's entries (text of --callees FILE). */
export function makeCallees(user?: { file: string; text: string }): Callees {
  return new Callees([...defaultCallees(), ...(user ? parseCallees(user.text, user.file) : [])]);
}
