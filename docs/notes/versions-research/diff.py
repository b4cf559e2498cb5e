import sys, difflib
from load import *
def key(x): return x[:6]
def fmt(x): 
    m,rw,bdf,reg,sz,val=x[:6]
    return f"{m:5} {rw} {bdf} {reg:#05x}/{sz} {val:#x}"
def rundiff(s1,s2,scen,out=sys.stdout,ctx=0):
    a,d=load(s1,scen); b,_=load(s2,scen)
    A=[key(x) for x in a]; B=[key(x) for x in b]
    sm=difflib.SequenceMatcher(None,A,B,autojunk=False)
    for tag,i1,i2,j1,j2 in sm.get_opcodes():
        if tag=='equal': continue
        print(f"--- {tag} a[{i1}:{i2}] b[{j1}:{j2}] (line a={a[i1][6] if i1<len(a) else '-'} b={b[j1][6] if j1<len(b) else '-'})",file=out)
        for x in a[i1:i2]: print("  - "+fmt(x),file=out)
        for x in b[j1:j2]: print("  + "+fmt(x),file=out)
if __name__=='__main__':
    rundiff(sys.argv[1],sys.argv[2],sys.argv[3])
