import sys, difflib, collections, json
from load import *
def kinds(d):
    k={}
    for x in d['devices']:
        c=x['class'][:4]; v=x['vendor']+':'+x['device']
        k[x['bdf']]={'0604':'RP' if x['device'] in('000c',) else 'BR'}.get(c, v)
    return k
def hunks(s1,s2,scen):
    a,d=load(s1,scen); b,_=load(s2,scen); k=kinds(d)
    A=[x[:6] for x in a]; B=[x[:6] for x in b]
    sm=difflib.SequenceMatcher(None,A,B,autojunk=False)
    out=[]
    for tag,i1,i2,j1,j2 in sm.get_opcodes():
        if tag=='equal': continue
        sig=tuple(('-',k[x[2]],x[1],x[3],x[4]) for x in a[i1:i2])+tuple(('+',k[x[2]],x[1],x[3],x[4]) for x in b[j1:j2])
        out.append((sig,a[i1:i2],b[j1:j2]))
    return out
if __name__=='__main__':
    v=sys.argv[1]
    allsig=collections.OrderedDict()
    for s in ['q35-default','q35-nodefaults','q35-kata','q35-libvirt','pc-default','microvm-pcie']:
        for sig,x,y in hunks('72',v,s):
            allsig.setdefault(sig,[]).append((s,x,y))
    for sig,occ in allsig.items():
        scen=collections.Counter(o[0] for o in occ)
        s,x,y=occ[0]
        if len(x)+len(y)>12:
            print(f"### {len(occ)}x {dict(scen)}  BIG -{len(x)} +{len(y)} first: {s} line a={x[0][6] if x else '-'} b={y[0][6] if y else '-'} bdfs {sorted(set(e[2] for e in x+y))}")
            continue
        print(f"### {len(occ)}x {dict(scen)}")
        for e in x: print(f"   - {e[0]} {e[1]} {e[2]} {e[3]:#05x}/{e[4]} {e[5]:#x}")
        for e in y: print(f"   + {e[0]} {e[1]} {e[2]} {e[3]:#05x}/{e[4]} {e[5]:#x}")
