"""Independent float64 reference formulas written with plain Python loops (slow, obviously correct)."""
import math

import numpy as np


def softmax(x, tau=1.0):
    z = np.asarray(x, dtype=np.float64) / tau
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def kd_row(s, t, tau, stand=False):
    if stand:
        s, t = zscore(s), zscore(t)
    ps, pt = softmax(s, tau), softmax(t, tau)
    return tau**2 * sum(pt[c] * (math.log(pt[c]) - math.log(ps[c])) for c in range(len(s)) if pt[c] > 0)


def zscore(x):
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / (x.std(ddof=1) + 1e-7)


def dkd_row(s, t, y, alpha, beta, tau):
    ps, pt = softmax(s, tau), softmax(t, tau)
    bs = [ps[y], 1 - ps[y]]
    bt = [pt[y], 1 - pt[y]]
    tckd = sum(bt[i] * math.log(bt[i] / bs[i]) for i in range(2))
    others = [c for c in range(len(s)) if c != y]
    qs = softmax([s[c] for c in others], tau)
    qt = softmax([t[c] for c in others], tau)
    nckd = sum(qt[i] * math.log(qt[i] / qs[i]) for i in range(len(others)))
    return tau**2 * (alpha * tckd + beta * nckd)


def pearson(a, b, eps=1e-8):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (math.sqrt((a * a).sum()) * math.sqrt((b * b).sum()) + eps))


def dist_batch(S, T, beta, gamma, tau):
    ys = [softmax(r, tau) for r in S]
    yt = [softmax(r, tau) for r in T]
    n, c = len(S), len(S[0])
    inter = 1 - sum(pearson(ys[i], yt[i]) for i in range(n)) / n
    intra = 1 - sum(pearson([ys[i][j] for i in range(n)], [yt[i][j] for i in range(n)])
                    for j in range(c)) / c
    return tau**2 * (beta * inter + gamma * intra)


def pld_row(s, t, y, tau):
    c = len(s)
    rest = sorted([j for j in range(c) if j != y], key=lambda j: (-t[j], j)) if y is not None and y < c \
        else sorted(range(c), key=lambda j: (-t[j], j))
    perm = ([y] if y is not None and y < c else []) + rest
    pt = softmax(t, tau)
    total = 0.0
    for k in range(c):
        tail = [s[perm[m]] for m in range(k, c)]
        mx = max(tail)
        lse = mx + math.log(sum(math.exp(v - mx) for v in tail))
        total += pt[perm[k]] * (lse - s[perm[k]])
    return total


def kendall_row(s, t, form, k):
    c = len(s)
    acc = 0.0
    for i in range(c):
        for j in range(i + 1, c):
            dt, ds = t[i] - t[j], s[i] - s[j]
            if form == 'tanh':
                acc += math.tanh(k * dt) * math.tanh(k * ds)
            elif form == 'product':
                acc += math.tanh(k * dt * ds)
            else:
                acc += float(np.sign(dt)) * math.tanh(k * ds)
    return 2.0 * acc / (c * (c - 1))


def printed_rkkd_row(s, t, form, k):
    """RKKD's loss exactly as printed (Eqs. 5-12): -sum over ALL ordered pairs (i, j) of f, divided by
    C (C - 1) / 2, with the smooth sign of Eq. 7, sigma_k(x) = 1 - 2 / (1 + e^(k x))."""
    c = len(s)

    def smooth(x):
        return 1.0 - 2.0 / (1.0 + math.exp(k * x))

    acc = 0.0
    for i in range(c):
        for j in range(c):
            dt, ds = t[i] - t[j], s[i] - s[j]
            if form == 'tanh':
                acc += smooth(dt) * smooth(ds)
            elif form == 'product':
                acc += smooth(dt * ds)
            else:
                acc += float(np.sign(dt)) * smooth(ds)
    return -acc / (0.5 * c * (c - 1))
