import difflib, collections, json
from load import *
SC=['q35-default','q35-nodefaults','q35-kata','q35-libvirt','pc-default','microvm-pcie']
def desc(d):
    return {x['bdf']:f"{x['vendor']}:{x['device']} cls {x['class']}" for x in d['devices']}
print("| scenario | stack | device | what | -acc | +acc | net |")
print("|---|---|---|---|---|---|---|")
for s in SC:
  for v in ('100','111'):
    a,d=load('72',s); b,_=load(v,s); ds=desc(d)
    sm=difflib.SequenceMatcher(None,[x[:6] for x in a],[x[:6] for x in b],autojunk=False)
    m=collections.Counter(); p=collections.Counter()
    for t,i1,i2,j1,j2 in sm.get_opcodes():
        if t=='equal': continue
        for x in a[i1:i2]: m[x[2]]+=1
        for x in b[j1:j2]: p[x[2]]+=1
    for bdf in sorted(set(m)|set(p)):
        print(f"| {s} | {v} | {bdf} | {ds[bdf]} | {m[bdf]} | {p[bdf]} | {p[bdf]-m[bdf]:+d} |")
