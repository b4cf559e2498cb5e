import collections
from load import *
# first-read value of each (bdf,reg,size) in each stack: compare
for scen in ['q35-default','q35-nodefaults','q35-kata','q35-libvirt','pc-default','microvm-pcie']:
    base={}
    for st in ('72','100','111'):
        a,d=load(st,scen)
        first={}
        for x in a:
            if x[1]=='r' and (x[2],x[3],x[4]) not in first: first[(x[2],x[3],x[4])]=x[5]
        base[st]=first
    for st in ('100','111'):
        diffs=collections.defaultdict(list)
        for k,v in base[st].items():
            if k in base['72'] and base['72'][k]!=v:
                diffs[(k[1],k[2],base['72'][k],v)].append(k[0])
        for (reg,sz,o,n),bdfs in sorted(diffs.items()):
            print(scen,st,f"{reg:#05x}/{sz} {o:#x} -> {n:#x}",' '.join(bdfs))
