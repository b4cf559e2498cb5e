import sys, difflib, collections, json
from load import *
CAP={1:'PM',5:'MSI',0x10:'EXP',0x11:'MSIX',9:'VNDR',0x0d:'SSVID',0x12:'SATA',7:'PCIX',0x0c:'HT'}
ECAP={1:'AER',3:'DSN',0xd:'ACS',0x0b:'VNDR',0x10:'SRIOV',0x18:'LTR',0x1e:'L1SS',0x2e:'DOE',0x17:'TPH'}
HDR0={0:'VID',2:'DID',4:'CMD',6:'STS',8:'REV/CLASS',0xc:'CLS/LAT/HDR/BIST',0xd:'LAT',0xe:'HDR',0x2c:'SUBSYS',0x34:'CAPPTR',0x3c:'INTLINE',0x3d:'INTPIN',0x30:'ROM'}
HDR1={0x18:'BUSNUM',0x19:'SECBUS',0x1a:'SUBBUS',0x1b:'SECLAT',0x1c:'IOBASE',0x1d:'IOLIMIT',0x1e:'SECSTS',0x20:'MEMBASE',0x22:'MEMLIMIT',0x24:'PMEMBASE',0x26:'PMEMLIMIT',0x28:'PMEMBASEU',0x2c:'PMEMLIMU',0x30:'IOBASEU',0x38:'ROM',0x3e:'BRCTL'}
EXP={0:'hdr',2:'FLAGS',4:'DEVCAP',8:'DEVCTL',0xa:'DEVSTA',0xc:'LNKCAP',0x10:'LNKCTL',0x12:'LNKSTA',0x14:'SLTCAP',0x18:'SLTCTL',0x1a:'SLTSTA',0x1c:'RTCTL',0x1e:'RTCAP',0x20:'RTSTA',0x24:'DEVCAP2',0x28:'DEVCTL2',0x2c:'LNKCAP2',0x30:'LNKCTL2',0x32:'LNKSTA2',0x34:'SLTCAP2',0x38:'SLTCTL2'}
AER={0:'hdr',4:'UESTA',8:'UEMSK',0xc:'UESEV',0x10:'CESTA',0x14:'CEMSK',0x18:'CAPCTL',0x2c:'RTCMD',0x30:'RTSTA'}
def capmap(acc):
    """derive cap offsets per bdf from header reads (std: reg>=0x40 read /2 or /4 where it was reached via 0x34 chain)"""
    cm=collections.defaultdict(dict)
    # std chain: follow 0x34 value and subsequent header values
    last={}
    for m,rw,bdf,reg,sz,val,_ in acc:
        if rw!='r': continue
        if reg==0x34 and sz==1 and val: last[bdf]=val&0xfc; 
        elif bdf in last and reg==last[bdf] and sz in (2,4):
            cid=val&0xff; cm[bdf][reg]=CAP.get(cid,f'cap{cid:#x}'); nx=(val>>8)&0xfc
            last[bdf]=nx if nx else None
        if reg>=0x100 and sz==4 and reg%4==0 and m=='mmcfg':
            pass
    # ext chain
    for m,rw,bdf,reg,sz,val,_ in acc:
        if rw=='r' and sz==4 and reg>=0x100 and (reg==0x100 or reg in cm[bdf+'x'].get('next',set())):
            cid=val&0xffff
            if val not in (0,0xffffffff):
                cm[bdf][reg]=ECAP.get(cid,f'ecap{cid:#x}')
                cm[bdf+'x'].setdefault('next',set()).add(val>>20)
    return cm
def name(cm,bdf,reg,hdrtype):
    if reg<0x40:
        h=HDR1 if hdrtype=='01' else HDR0
        if reg in h: return h[reg]
        if 0x10<=reg<0x28 and hdrtype!='01': return f'BAR{(reg-0x10)//4}'
        if hdrtype=='01' and reg in (0x10,0x14): return f'BAR{(reg-0x10)//4}'
        return f'hdr{reg:#x}'
    caps=sorted((o,n) for o,n in cm.get(bdf,{}).items() if (o<0x100)==(reg<0x100))
    best=None
    for o,n in caps:
        if o<=reg: best=(o,n)
    if not best: return f'{reg:#x}'
    o,n=best; off=reg-o
    if n=='EXP': return 'EXP.'+EXP.get(off,f'+{off:#x}')
    if n=='AER': return 'AER.'+AER.get(off,f'+{off:#x}')
    return f'{n}+{off:#x}' if off else n
def analyse(s1,s2,scen):
    a,d=load(s1,scen); b,_=load(s2,scen)
    ht={x['bdf']:x['header_type'][-1:]=='1' and '01' or '00' for x in d['devices']}
    kind={x['bdf']:x['vendor']+':'+x['device'] for x in d['devices']}
    cm=capmap(a+b)
    A=[x[:6] for x in a]; B=[x[:6] for x in b]
    sm=difflib.SequenceMatcher(None,A,B,autojunk=False)
    rows=[]
    for tag,i1,i2,j1,j2 in sm.get_opcodes():
        if tag=='equal': continue
        for x in a[i1:i2]: rows.append(('-',x,name(cm,x[2],x[3],ht[x[2]])))
        for x in b[j1:j2]: rows.append(('+',x,name(cm,x[2],x[3],ht[x[2]])))
    return rows,kind,cm
if __name__=='__main__':
    rows,kind,cm=analyse(*sys.argv[1:4])
    c=collections.Counter((r[1][2],r[0],r[1][1],r[2],r[1][4]) for r in rows)
    for k,v in sorted(c.items()): print(k,v)
