#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Bitwise (BICM) mutual information of 2-bit -> 4-sample one-bit inner codes against one-bit
# QPSK at 1 sample/symbol (B1), at R = 1/2: a random search over sign/parity structures and
# energy splits (seed 1). Used in docs/flagship.md.
import itertools, math
Q=lambda x:0.5*math.erfc(x/math.sqrt(2))
def bitmi(X, sigma):
    # X: dict bits(2-tuple) -> list of 4 reals; one-bit outputs; bitwise MI averaged over 2 bits
    zs=list(itertools.product([1,-1],repeat=4))
    P={}
    for b,x in X.items():
        for z in zs:
            p=1
            for zk,xk in zip(z,x):
                q=Q(xk/sigma); p*= (1-q) if zk>0 else q
            P[(b,z)]=p/4
    mi=0
    for j in range(2):
        for z in zs:
            pz=sum(P[(b,z)] for b in X)
            for v in (0,1):
                pbz=sum(P[(b,z)] for b in X if b[j]==v)
                if pbz>0: mi+=pbz*math.log2(pbz/(pz*0.5))
    return mi/2
for ebn0 in [1.27,1.77,2.0]:
    R=0.5; eb=1/(R*2); sigma=math.sqrt(eb/10**(ebn0/10)/2)
    a=math.sqrt(0.5)
    b1={b:[a*(1-2*b[0]),a*(1-2*b[1]),0,0] for b in itertools.product([0,1],repeat=2)}
    h=0.5
    rep={b:[h*(1-2*b[0]),h*(1-2*b[1]),h*(1-2*b[0]),h*(1-2*b[1])] for b in itertools.product([0,1],repeat=2)}
    best=0;bx=None
    # search: samples are +-c_k * f_k(b) where f_k in {s0,s1,s0s1}, energies split
    funcs=[lambda b:1-2*b[0],lambda b:1-2*b[1],lambda b:(1-2*b[0])*(1-2*b[1])]
    import random
    random.seed(1)
    for fs in itertools.product(range(3),repeat=4):
        for t in range(60):
            w=[random.random()**2 for _ in range(4)]; s=sum(w); w=[x/s for x in w]
            X={b:[math.sqrt(w[k])*funcs[fs[k]](b) for k in range(4)] for b in itertools.product([0,1],repeat=2)}
            m=bitmi(X,sigma)
            if m>best: best=m;bx=(fs,[round(x,3) for x in w])
    print(ebn0,'B1',round(bitmi(b1,sigma),4),'rep',round(bitmi(rep,sigma),4),'best',round(best,4),bx)
