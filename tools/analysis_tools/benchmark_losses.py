# Copyright (c) mmkd contributors. All rights reserved.
"""Forward+backward time and peak extra memory of every mmkd loss on a grid of (N rows, C classes).

Each measurement runs in a fresh subprocess, so the peak memory of one loss does not hide another's. On CPU
the peak is the growth of the process's maximum resident set during the first call, over the inputs; on CUDA it is
``torch.cuda.max_memory_allocated`` over the inputs. A naive broadcast RKKD ([N, C, C] tensors through
autograd) is included for comparison where it fits in ``--naive-limit-gb``.

With ``--peers mmrazor=DIR mdistiller=DIR`` it also times the peers' own code on the same inputs in the same child
process, interleaved with mmkd's equal loss (MMRazor 1.0.0's ``KLDivergence``, ``DKDLoss``, ``DISTLoss``; mdistiller's
``kd_loss``, ``dkd_loss``; see :mod:`mmkd.analysis.peer_losses` for where the files come from), checks that the
values are equal, and prints the time ratio mmkd / peer. ``--only-peers`` skips the table of mmkd's losses.

Usage:
    python tools/analysis_tools/benchmark_losses.py [--device cpu|cuda] [--sizes 50000x80 256x1000 ...]
        [--peers mmrazor=PATH mdistiller=PATH [--only-peers]]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

DEFAULT_SIZES = ['50000x80', '8192x80', '256x100', '256x1000', '1024x1000']
LOSSES = {
    'KD': dict(type='KDLoss', tau=4.0),
    'DKD': dict(type='DKDLoss', warmup_epochs=0),
    'DIST': dict(type='DISTLoss', tau=4.0),
    'PLD': dict(type='PLDLoss', tau=4.0),
    'RKKD (tanh)': dict(type='RKKDLoss', form='tanh'),
    'RKKD (product)': dict(type='RKKDLoss', form='product'),
    'RKKD (sign)': dict(type='RKKDLoss', form='sign'),
    'RKKD naive broadcast': 'naive',
    # the PyTorch kernels the compiled ones replace on the CPU (MMKD_DISABLE_CPU_EXT=1 in their process)
    'PLD, PyTorch kernel': dict(type='PLDLoss', tau=4.0),
    'RKKD (tanh), PyTorch kernel': dict(type='RKKDLoss', form='tanh'),
}
#: suffix of the entries measured with the compiled kernels switched off
PYTORCH_KERNEL = ', PyTorch kernel'


def naive_rkkd(preds_S, preds_T, k: float = 1.0):
    """The textbook broadcast implementation: autograd keeps several [N, C, C] tensors."""
    import torch

    from mmkd.losses import standardize
    s, t = standardize(preds_S.float()), standardize(preds_T.float()).detach()
    c = s.size(1)
    ds = s[:, :, None] - s[:, None, :]
    dt = t[:, :, None] - t[:, None, :]
    tau = (torch.tanh(k * dt) * torch.tanh(k * ds)).sum((1, 2)) / (c * (c - 1))
    return (1 - tau).mean()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(name: str, n: int, c: int, device: str, reps: int) -> dict:
    """Run in the child process: time and peak memory of one loss at one size."""
    import torch

    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    cfg = LOSSES[name]
    loss_fn = naive_rkkd if cfg == 'naive' else MODELS.build(cfg).to(device)
    s = torch.randn(n, c, device=device, requires_grad=True)
    t = torch.randn(n, c, device=device)
    y = torch.randint(0, c, (n, ), device=device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)

    def step():
        s.grad = None
        out = loss_fn(s, t) if cfg == 'naive' else loss_fn(s, t, y)
        out.backward()
        sync()

    if device == 'cuda':
        step()  # warm-up (kernels, allocator)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        step()
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:
        base_rss = peak_rss_mb()
        step()  # the first call sets the process's peak resident memory
        peak = peak_rss_mb() - base_rss
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return dict(ms=statistics.median(times) * 1000, peak_mb=peak)


def measure_interleaved(n: int, c: int, device: str, reps: int) -> dict:
    """Run in the child process: every loss (not the reference kernels) on the same inputs, one call of each per
    round, so that the ratios to KD are not biased by the machine's drift; median ms of each."""
    import torch

    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    losses = {name: MODELS.build(cfg).to(device) for name, cfg in LOSSES.items()
              if cfg != 'naive' and not name.endswith(PYTORCH_KERNEL)}
    s = torch.randn(n, c, device=device, requires_grad=True)
    t = torch.randn(n, c, device=device)
    y = torch.randint(0, c, (n, ), device=device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    times = {name: [] for name in losses}
    for rep in range(reps + 2):
        for name, loss in losses.items():
            s.grad = None
            sync()
            start = time.perf_counter()
            loss(s, t, y).backward()
            sync()
            if rep >= 2:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(v) * 1000 for name, v in times.items()}


def measure_peer(index: int, n: int, c: int, device: str, reps: int, roots: dict) -> dict:
    """Run in the child process: a peer's loss and mmkd's equal loss on the same inputs, timed interleaved."""
    import torch

    from mmkd.analysis.peer_losses import LOADERS, PEER_PAIRS
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    pair = PEER_PAIRS[index]
    peer = pair.make_peer(LOADERS[pair.peer](roots[pair.peer]))
    ours = MODELS.build(pair.mmkd_cfg).to(device)
    torch.manual_seed(0)
    s = torch.randn(n, c, device=device, requires_grad=True)
    t = torch.randn(n, c, device=device)
    y = torch.randint(0, c, (n, ), device=device)
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    fns = {'peer': lambda: peer(s, t, y), 'mmkd': lambda: ours(s, t, y)}
    values = {}
    times = {k: [] for k in fns}
    for rep in range(reps + 2):
        for key, fn in fns.items():
            s.grad = None
            sync()
            start = time.perf_counter()
            out = fn()
            out.backward()
            sync()
            if rep >= 2:
                times[key].append(time.perf_counter() - start)
            values[key] = float(out)
    peer_ms, mmkd_ms = (statistics.median(times[k]) * 1000 for k in ('peer', 'mmkd'))
    return dict(peer_ms=peer_ms, mmkd_ms=mmkd_ms, rel_diff=abs(values['mmkd'] - values['peer']) / abs(values['peer']))


def run_child(args: argparse.Namespace, payload: list) -> dict:
    """Run one measurement in a fresh process; its result, or ``{'error': ...}``."""
    cmd = [sys.executable, __file__, '--device', args.device, '--reps', str(args.reps), '--child', json.dumps(payload)]
    if args.threads:
        cmd += ['--threads', str(args.threads)]
    env = os.environ.copy()
    if str(payload[0]).endswith(PYTORCH_KERNEL):
        env['MMKD_DISABLE_CPU_EXT'] = '1'
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT ')]
    if proc.returncode or not line:
        return dict(error=str(proc.stderr.strip().splitlines()[-1:]))
    return json.loads(line[0][7:])


def peer_table(args: argparse.Namespace, roots: dict) -> list:
    """The peers' losses beside mmkd's, every size; printed as a markdown table."""
    from mmkd.analysis.peer_losses import PEER_PAIRS
    print('\n| peer | peer loss | mmkd loss | N | C | device | peer ms | mmkd ms | mmkd / peer | value rel. diff |\n'
          '|---|---|---|---:|---:|---|---:|---:|---:|---:|')
    rows = []
    for size in args.sizes:
        n, c = (int(v) for v in size.lower().split('x'))
        for index, pair in enumerate(PEER_PAIRS):
            if pair.peer not in roots:
                continue
            res = run_child(args, ['peer', index, n, c, roots])
            head = f'| {pair.peer} | {pair.name} | {pair.mmkd_cfg["type"]} | {n} | {c} | {args.device} |'
            if 'error' in res:
                print(f'{head} failed: {res["error"]} | | | |')
                continue
            rows.append(dict(peer=pair.peer, peer_loss=pair.name, loss=pair.mmkd_cfg['type'], N=n, C=c,
                             device=args.device, **res))
            print(f"{head} {res['peer_ms']:.2f} | {res['mmkd_ms']:.2f} | {res['mmkd_ms'] / res['peer_ms']:.2f} | "
                  f"{res['rel_diff']:.1e} |", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--sizes', nargs='+', default=DEFAULT_SIZES, help='NxC sizes')
    parser.add_argument('--reps', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None, help='torch threads (CPU)')
    parser.add_argument('--naive-limit-gb', type=float, default=8.0,
                        help='skip the naive RKKD where 4 [N, C, C] float32 tensors exceed this')
    parser.add_argument('--json', help='also write the rows to this JSON file')
    parser.add_argument('--peers', nargs='+', default=[], metavar='PEER=PATH',
                        help='mmrazor=<unzipped mmrazor-1.0.0 wheel> and/or mdistiller=<mdistiller clone>')
    parser.add_argument('--only-peers', action='store_true', help='only the comparison with the peers')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        payload = json.loads(args.child)
        if payload[0] == 'peer':
            result = measure_peer(*payload[1:4], args.device, args.reps, payload[4])
        elif payload[0] == 'interleaved':
            result = measure_interleaved(*payload[1:3], args.device, args.reps)
        else:
            result = measure(*payload, args.device, args.reps)
        print('RESULT ' + json.dumps(result))
        return
    roots = dict(item.split('=', 1) for item in args.peers)
    unknown = sorted(set(roots) - {'mmrazor', 'mdistiller'})
    if unknown:
        parser.error(f'unknown peers {unknown}: use mmrazor=PATH and/or mdistiller=PATH')

    rows = []
    if not args.only_peers:
        print('| loss | N | C | device | fwd+bwd ms | peak extra MB |\n|---|---:|---:|---|---:|---:|')
        for size in args.sizes:
            n, c = (int(v) for v in size.lower().split('x'))
            for name, cfg in LOSSES.items():
                if cfg == 'naive' and 4 * 4 * n * c * c / 2**30 > args.naive_limit_gb:
                    print(f'| {name} | {n} | {c} | {args.device} | skipped (> {args.naive_limit_gb} GB) | |')
                    continue
                res = run_child(args, [name, n, c])
                if 'error' in res:
                    print(f'| {name} | {n} | {c} | {args.device} | failed: {res["error"]} | |')
                    continue
                rows.append(dict(loss=name, N=n, C=c, device=args.device, **res))
                print(f"| {name} | {n} | {c} | {args.device} | {res['ms']:.1f} | {res['peak_mb']:.0f} |", flush=True)
        print('\nInterleaved in one process (one call of each loss per round), ms and multiple of KD:\n')
        names = [name for name, cfg in LOSSES.items() if cfg != 'naive' and not name.endswith(PYTORCH_KERNEL)]
        print('| N | C | device | ' + ' | '.join(names) + ' |\n|---:|---:|---|' + '---:|' * len(names))
        for size in args.sizes:
            n, c = (int(v) for v in size.lower().split('x'))
            res = run_child(args, ['interleaved', n, c])
            if 'error' in res:
                print(f'| {n} | {c} | {args.device} | failed: {res["error"]} |')
                continue
            rows.append(dict(interleaved=res, N=n, C=c, device=args.device))
            cells = ' | '.join(f'{res[k]:.1f} ({res[k] / res["KD"]:.2f}x)' for k in names)
            print(f'| {n} | {c} | {args.device} | {cells} |', flush=True)
    if roots:
        rows += peer_table(args, roots)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()
