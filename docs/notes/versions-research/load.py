import gzip, json
import os
# the repository's reference/ and, beside the repository, the shared newer-stack references
_ROOT=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','..','..')
_SHARED=os.environ.get('PCISIM_SHARED', os.path.join(_ROOT,'..','shared'))
BASE={'72':os.path.join(_ROOT,'reference'),'100':os.path.join(_SHARED,'reference/versions/q100-l612'),'111':os.path.join(_SHARED,'reference/versions/q111-l73')}
def load(stack, scen, phase='L', present_only=True):
    d=json.load(open(f"{BASE[stack]}/{scen}.json"))
    pres={x['bdf'] for x in d['devices']}
    out=[]
    for i,line in enumerate(gzip.open(f"{BASE[stack]}/{scen}.accesses.txt.gz",'rt')):
        if line.startswith('#'): continue
        p,m,rw,bdf,rs,val=line.split()
        if p!=phase: continue
        if present_only and bdf not in pres: continue
        reg,sz=rs.split('/')
        out.append((m,rw,bdf,int(reg,16),int(sz),int(val,16),i))
    return out,d
