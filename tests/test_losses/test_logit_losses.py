"""Every loss against an independent float64 loop reference, plus the shared contract."""
import pytest
import torch

from mmkd.losses import DISTLoss, DKDLoss, KDLoss, PLDLoss, RKKDLoss
from mmkd.registry import MODELS
from . import reference as ref

SHAPES = [(1, 2), (5, 3), (7, 10), (4, 33)]


def make_inputs(n, c, seed=0, ties=True, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(n, c, generator=g, dtype=dtype) * 3
    t = torch.randn(n, c, generator=g, dtype=dtype) * 3
    if ties and c > 2:
        t = (t * 2).round() / 2  # many exact ties in the teacher
        t[:, 1] = t[:, 0]
    y = torch.randint(0, c, (n, ), generator=g)
    return s, t, y


def rows(x):
    return x.tolist()


@pytest.mark.parametrize('n,c', SHAPES)
@pytest.mark.parametrize('stand', [False, True])
def test_kd_matches_reference(n, c, stand):
    s, t, _ = make_inputs(n, c)
    if stand and c < 2:
        return
    got = KDLoss(tau=4.0, logit_stand=stand, loss_weight=0.7)(s, t)
    want = 0.7 * sum(ref.kd_row(a, b, 4.0, stand) for a, b in zip(rows(s), rows(t))) / n
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize('n,c', SHAPES)
def test_dkd_matches_reference(n, c):
    s, t, y = make_inputs(n, c)
    got = DKDLoss(alpha=1.0, beta=8.0, tau=4.0, warmup_epochs=0)(s, t, y)
    want = sum(ref.dkd_row(a, b, int(l), 1.0, 8.0, 4.0) for a, b, l in zip(rows(s), rows(t), y)) / n
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_dkd_background_label_uses_teacher_top_class():
    s, t, y = make_inputs(6, 5, ties=False)
    bg = torch.full_like(y, 5)
    got = DKDLoss(warmup_epochs=0)(s, t, bg)
    want = DKDLoss(warmup_epochs=0)(s, t, t.argmax(1))
    assert torch.allclose(got, want)


def test_dkd_warmup_reads_runner_epoch():
    from mmengine.logging import MessageHub
    s, t, y = make_inputs(4, 6)
    full = DKDLoss(warmup_epochs=0)(s, t, y)
    hub = MessageHub.get_instance('test_dkd_warmup')
    hub.update_info('epoch', 4)  # 0-based: the 5th epoch
    assert DKDLoss(warmup_epochs=20)(s, t, y).item() == pytest.approx(full.item() * 5 / 20)
    hub.update_info('epoch', 40)
    assert DKDLoss(warmup_epochs=20)(s, t, y).item() == pytest.approx(full.item())
    hub.update_info('iter', 9)
    assert DKDLoss(warmup_iters=100)(s, t, y).item() == pytest.approx(full.item() * 10 / 100)


@pytest.mark.parametrize('n,c', SHAPES)
def test_dist_matches_reference(n, c):
    s, t, _ = make_inputs(n, c)
    got = DISTLoss(beta=1.0, gamma=2.0, tau=4.0)(s, t)
    want = ref.dist_batch(rows(s), rows(t), 1.0, 2.0, 4.0)
    assert got.item() == pytest.approx(want, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize('n,c', SHAPES)
@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_pld_matches_reference(n, c, tau):
    s, t, y = make_inputs(n, c)
    y[0] = c  # a row without a target class: teacher order alone
    got = PLDLoss(tau=tau)(s, t, y)
    want = sum(ref.pld_row(a, b, int(l), tau) for a, b, l in zip(rows(s), rows(t), y)) / n
    assert got.item() == pytest.approx(want, rel=1e-9, abs=1e-12)
    no_labels = PLDLoss(tau=tau)(s, t)
    want = sum(ref.pld_row(a, b, None, tau) for a, b in zip(rows(s), rows(t))) / n
    assert no_labels.item() == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize('n,c', SHAPES)
@pytest.mark.parametrize('form', ['tanh', 'product', 'sign'])
@pytest.mark.parametrize('normalize', ['none', 'zscore'])
def test_rkkd_matches_reference(n, c, form, normalize):
    s, t, _ = make_inputs(n, c)
    loss = RKKDLoss(form=form, k=1.5, normalize=normalize, chunk_size=2, loss_weight=0.9)
    if normalize == 'zscore':
        rs, rt = [ref.zscore(r) for r in rows(s)], [ref.zscore(r) for r in rows(t)]
    else:
        rs, rt = rows(s), rows(t)
    want = 0.9 * sum(1 - ref.kendall_row(a, b, form, 1.5) for a, b in zip(rs, rt)) / n
    assert loss(s, t).item() == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize('n,c', SHAPES[1:])
@pytest.mark.parametrize('form', ['tanh', 'product', 'sign'])
def test_rkkd_paper_convention_is_the_printed_equations(n, c, form):
    """convention='paper' computes RKKD Eqs. 5-12 as printed: all ordered pairs over C(C-1)/2, Eq. 7's sigmoid."""
    s, t, _ = make_inputs(n, c)
    loss = RKKDLoss(form=form, k=1.5, normalize='none', convention='paper', loss_weight=0.9)
    want = 0.9 * sum(ref.printed_rkkd_row(a, b, form, 1.5) for a, b in zip(rows(s), rows(t))) / n
    assert loss(s, t).item() == pytest.approx(want, rel=1e-9, abs=1e-12)
    # the same gradient as the default convention with twice the weight and half the steepness
    s1, s2 = s.clone().requires_grad_(), s.clone().requires_grad_()
    loss(s1, t).backward()
    RKKDLoss(form=form, k=0.75, normalize='none', loss_weight=1.8)(s2, t).backward()
    torch.testing.assert_close(s1.grad, s2.grad)


def test_rkkd_perfect_order_scores_above_zero_at_finite_k():
    t = torch.tensor([[3.0, 1.0, -2.0, 0.5]], dtype=torch.float64)
    for k in (1.0, 4.0):
        assert 0 < RKKDLoss(k=k, normalize='none')(t.clone(), t).item() < 1
    assert RKKDLoss(k=50.0, normalize='none')(t.clone(), t).item() < 1e-9  # only the k -> infinity limit is 0


@pytest.mark.parametrize('kind,amount', [('topk', 3), ('mink', 0.3)])
def test_rkkd_channel_subsets(kind, amount):
    s, t, _ = make_inputs(3, 10, ties=False)
    loss = RKKDLoss(normalize='none', **{kind: amount})
    want = 0
    for a, b in zip(rows(s), rows(t)):
        order = sorted(range(10), key=lambda j: -b[j] if kind == 'topk' else b[j])[:3]
        want += 1 - ref.kendall_row([a[j] for j in order], [b[j] for j in order], 'tanh', 1.0)
    assert loss(s, t).item() == pytest.approx(want / 3, rel=1e-9)


def test_weights_give_weighted_mean():
    s, t, y = make_inputs(5, 7)
    w = torch.tensor([1.0, 0.0, 2.0, 0.5, 0.0], dtype=torch.float64)
    per_row = torch.stack([PLDLoss()(s[i:i + 1], t[i:i + 1], y[i:i + 1]) for i in range(5)])
    got = PLDLoss()(s, t, y, weight=w)
    assert got.item() == pytest.approx(((per_row * w).sum() / w.sum()).item())


def test_dist_weight_selects_rows_only():
    s, t, _ = make_inputs(6, 5)
    w = torch.tensor([1, 0, 1, 1, 0, 1], dtype=torch.float64)
    keep = w > 0
    assert DISTLoss()(s, t, weight=w).item() == pytest.approx(DISTLoss()(s[keep], t[keep]).item())
    with pytest.raises(ValueError, match='select rows'):
        DISTLoss()(s, t, weight=w * 0.5)


@pytest.mark.parametrize('cfg', [
    dict(type='KDLoss'), dict(type='DKDLoss'), dict(type='DISTLoss'), dict(type='PLDLoss'),
    dict(type='RKKDLoss'), dict(type='RKKDLoss', form='sign')
])
class TestContract:

    def test_built_from_registry(self, cfg):
        assert isinstance(MODELS.build(cfg), torch.nn.Module)

    def test_ignore_index_drops_rows(self, cfg):
        loss = MODELS.build(cfg)
        s, t, y = make_inputs(6, 5)
        y2 = y.clone()
        y2[[1, 4]] = -1
        keep = y2 >= 0
        assert loss(s, t, y2).item() == pytest.approx(loss(s[keep], t[keep], y[keep]).item())

    def test_empty_and_all_ignored_give_zero_with_graph(self, cfg):
        loss = MODELS.build(cfg)
        s = torch.zeros(0, 5, requires_grad=True)
        out = loss(s, torch.zeros(0, 5), torch.zeros(0, dtype=torch.long))
        assert out.item() == 0 and out.requires_grad
        out.backward()
        s, t, _ = make_inputs(3, 5, dtype=torch.float32)
        s.requires_grad_()
        out = loss(s, t, torch.full((3, ), -1))
        out.backward()
        assert out.item() == 0 and torch.isfinite(s.grad).all()

    def test_two_classes(self, cfg):
        s, t, y = make_inputs(4, 2)
        assert torch.isfinite(MODELS.build(cfg)(s, t, y))

    @pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
    def test_half_inputs_compute_in_fp32(self, cfg, dtype):
        loss = MODELS.build(cfg)
        s, t, y = make_inputs(8, 20, dtype=torch.float32)
        s16, t16 = s.to(dtype), t.to(dtype)
        out = loss(s16, t16, y)
        assert out.dtype == torch.float32
        want = loss(s16.float(), t16.float(), y)
        assert out.item() == pytest.approx(want.item(), rel=1e-6, abs=1e-6)

    def test_non_finite_logits_raise_naming_the_loss(self, cfg):
        loss = MODELS.build(cfg)
        s, t, y = make_inputs(3, 4)
        s[1, 2] = float('nan')
        with pytest.raises(FloatingPointError, match=f"{cfg['type']}.*student"):
            loss(s, t, y)

    def test_shape_mismatch_is_clear(self, cfg):
        with pytest.raises(ValueError, match='same number of classes'):
            MODELS.build(cfg)(torch.zeros(3, 5), torch.zeros(3, 6), torch.zeros(3, dtype=torch.long))

    def test_teacher_gets_no_gradient(self, cfg):
        s, t, y = make_inputs(4, 6)
        s.requires_grad_()
        t.requires_grad_()
        MODELS.build(cfg)(s, t, y).backward()
        assert t.grad is None and s.grad is not None

    @pytest.mark.parametrize('case', ['huge', 'ties', 'equal'])
    def test_extreme_logits_are_finite(self, cfg, case):
        s, t, y = make_inputs(4, 6, dtype=torch.float32)
        if case == 'huge':
            s, t = s * 1e4, -t * 1e4
        elif case == 'ties':
            s, t = s.round(), torch.ones_like(t)
        else:
            s, t = torch.zeros_like(s), torch.zeros_like(t)
        s.requires_grad_()
        out = MODELS.build(cfg)(s, t, y)
        out.backward()
        assert torch.isfinite(out) and torch.isfinite(s.grad).all()


def test_label_out_of_range_is_clear():
    s, t, _ = make_inputs(2, 4)
    with pytest.raises(ValueError, match=r'gt_labels must lie in \[0, 4\]'):
        PLDLoss()(s, t, torch.tensor([0, 7]))
    with pytest.raises(ValueError, match='needs gt_labels'):
        DKDLoss()(s, t)
