// Every call of kmap(), with its position: the same set of sites pksim audit classifies.
// Run: spatch --sp-file bench/audit/kmap.cocci --dir TREE --include-headers -j 2 --very-quiet
@r@
expression E;
position p;
@@
kmap@p(E)

@script:python@
p << r.p;
@@
for q in p:
    print("KMAP %s:%s:%d:%s" % (q.file, q.line, int(q.column) + 1, q.current_element))
