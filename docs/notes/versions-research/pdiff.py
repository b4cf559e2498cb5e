import sys,difflib
from load import *
def seq(st,scen,bdf):
    a,_=load(st,scen); return [x for x in a if x[2]==bdf]
s1,s2,scen,bdf=sys.argv[1:5]
A=seq(s1,scen,bdf); B=seq(s2,scen,bdf)
f=lambda x:f"{x[0][:2]} {x[1]} {x[3]:#05x}/{x[4]} {x[5]:#x}"
a=[f(x) for x in A]; b=[f(x) for x in B]
print(len(a),len(b))
for l in difflib.unified_diff(a,b,lineterm='',n=int(sys.argv[5]) if len(sys.argv)>5 else 2): print(l)
