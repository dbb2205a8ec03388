"""Independent float64 reference formulas written with plain Python loops (slow, obviously correct)."""
import math

import numpy as np


def softmax(x, tau=1.0):
    z = np.asarray(x, dtype=np.float64) / tau
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def stand_pair(s, t, mode):
    """Logit standardisation: 'none' (False), 'both' (True) or 'teacher'."""
    mode = {False: 'none', True: 'both'}.get(mode, mode)
    if mode == 'both':
        return zscore(s), zscore(t)
    if mode == 'teacher':
        return list(s), zscore(t)
    return list(s), list(t)


def kl(p, q):
    return sum(p[c] * (math.log(p[c]) - math.log(q[c])) for c in range(len(p)) if p[c] > 0)


def kd_row(s, t, tau, stand=False, divergence='forward'):
    s, t = stand_pair(s, t, stand)
    ps, pt = softmax(s, tau), softmax(t, tau)
    if divergence == 'forward':
        return tau**2 * kl(pt, ps)
    if divergence == 'reverse':
        return tau**2 * kl(ps, pt)
    m = [(a + b) / 2 for a, b in zip(pt, ps)]
    return tau**2 * (kl(pt, m) + kl(ps, m)) / 2


def zscore(x):
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / (x.std(ddof=1) + 1e-7)


def dkd_row(s, t, y, alpha, beta, tau, stand=False):
    s, t = stand_pair(s, t, stand)
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


def dist_batch(S, T, beta, gamma, tau, stand=False):
    pairs = [stand_pair(a, b, stand) for a, b in zip(S, T)]
    S, T = [p[0] for p in pairs], [p[1] for p in pairs]
    ys = [softmax(r, tau) for r in S]
    yt = [softmax(r, tau) for r in T]
    n, c = len(S), len(S[0])
    inter = 1 - sum(pearson(ys[i], yt[i]) for i in range(n)) / n
    intra = 1 - sum(pearson([ys[i][j] for i in range(n)], [yt[i][j] for i in range(n)])
                    for j in range(c)) / c
    return tau**2 * (beta * inter + gamma * intra)


def pld_row(s, t, y, tau, weights='teacher', stand=False):
    s, t = stand_pair(s, t, stand)
    c = len(s)
    rest = sorted([j for j in range(c) if j != y], key=lambda j: (-t[j], j)) if y is not None and y < c \
        else sorted(range(c), key=lambda j: (-t[j], j))
    perm = ([y] if y is not None and y < c else []) + rest
    pt = softmax(t, tau)
    if weights == 'teacher':
        alpha = [pt[perm[k]] for k in range(c)]
    elif weights == 'uniform':  # PLD-ListMLE
        alpha = [1.0 / c] * c
    else:  # P-ListMLE (Lan et al. 2014): 2^(C-k) - 1 for ranks k = 1..C, normalised to sum 1
        raw = [2.0**(c - k) - 1.0 for k in range(1, c + 1)]
        alpha = [r / sum(raw) for r in raw]
    total = 0.0
    for k in range(c):
        tail = [s[perm[m]] for m in range(k, c)]
        mx = max(tail)
        lse = mx + math.log(sum(math.exp(v - mx) for v in tail))
        total += alpha[k] * (lse - s[perm[k]])
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


def mlkd_levels(sw, tw, ss, ts, temps=(4.0, 3.0, 5.0, 2.0, 6.0)):
    """MLKD's three loss terms as the official KD_ours.forward_train computes them (numpy float64), without the
    KD weight: (instance = weak + strong, class, batch)."""
    sw, tw, ss, ts = (np.asarray(x, dtype=np.float64) for x in (sw, tw, ss, ts))

    def soft(x, tau):
        return np.stack([softmax(r, tau) for r in x])

    def kd(s, t, tau):  # kd_loss(reduce=True): the rows' KL sum, averaged, times tau^2
        ps, pt = soft(s, tau), soft(t, tau)
        return tau**2 * np.mean([kl(a, b) for a, b in zip(pt, ps)])

    def cc(s, t, tau):
        ps, pt = soft(s, tau), soft(t, tau)
        return ((pt.T @ pt - ps.T @ ps)**2).sum() / s.shape[1]

    def bc(s, t, tau):
        ps, pt = soft(s, tau), soft(t, tau)
        return ((pt @ pt.T - ps @ ps.T)**2).sum() / s.shape[0]

    p = soft(tw, 1.0)
    conf = p.max(1)
    mask = conf <= np.percentile(conf, 50)
    class_conf = p.sum(0)
    class_mask = class_conf <= np.percentile(class_conf, 50)
    weak = sum((kd(sw, tw, tau) * mask).mean() for tau in temps)
    strong = kd(ss, ts, temps[0]) + kd(ss, ts, temps[1]) + kd(ss, ts, temps[2]) + kd(sw, tw, temps[3]) + \
        kd(sw, tw, temps[4])  # the official code's fourth and fifth "strong" terms use the weak view
    class_level = sum((cc(sw, tw, tau) * class_mask).mean() for tau in temps)
    batch_level = sum((bc(sw, tw, tau) * mask).mean() for tau in temps)
    return weak + strong, class_level, batch_level
