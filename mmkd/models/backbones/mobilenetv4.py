# Copyright (c) mmkd contributors. All rights reserved.
"""MobileNetV4 (Qin et al. 2024, https://arxiv.org/abs/2404.10518) in timm's layout.

The state dict is key for key and shape for shape that of timm's ``mobilenetv4_conv_small``,
``mobilenetv4_conv_medium``, ``mobilenetv4_conv_large``, ``mobilenetv4_hybrid_medium`` and
``mobilenetv4_hybrid_large`` without their ``classifier.*`` entries, so a timm checkpoint loads as a teacher through
:meth:`LinearHeadClassifier.convert_state_dict` (``classifier`` -> ``fc``). The eval-mode forward is timm's:
symmetric PyTorch padding, BatchNorm eps 1e-5, the multi-query attention of the hybrids with its strided depthwise
key/value downsampling, layer scale, and the "efficient head" that pools *before* ``conv_head``.
"""
import math
from typing import List, NamedTuple, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


# ---------------------------------------------------------------------------------------------------- block specs
class Conv(NamedTuple):
    """Conv -> BN -> act, no residual (timm ``ConvBnAct``, keys ``conv``, ``bn1``)."""
    kernel: int
    stride: int
    out_channels: int
    repeat: int = 1


class FusedIB(NamedTuple):
    """Fused inverted bottleneck: full KxK expansion conv, then a 1x1 projection (timm ``EdgeResidual``)."""
    kernel: int
    stride: int
    expand_ratio: float
    out_channels: int
    repeat: int = 1


class UIB(NamedTuple):
    """Universal inverted bottleneck (timm ``UniversalInvertedResidual``): an optional depthwise conv of
    ``start_kernel`` before the 1x1 expansion, an optional depthwise conv of ``mid_kernel`` after it (0 = none).
    ExtraDW: both; inverted residual: mid only; ConvNeXt-like: start only; FFN: neither."""
    start_kernel: int
    mid_kernel: int
    stride: int
    expand_ratio: float
    out_channels: int
    repeat: int = 1


class MQA(NamedTuple):
    """Mobile multi-query attention block (timm ``MobileAttention`` with ``use_multi_query``): keys and values
    downsampled by a strided 3x3 depthwise conv + BN when ``kv_stride`` > 1."""
    num_heads: int
    key_dim: int
    kv_stride: int
    out_channels: int
    repeat: int = 1


BlockSpec = Union[Conv, FusedIB, UIB, MQA]


def make_divisible(value: float, divisor: int = 8, round_limit: float = 0.9) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` (at least ``divisor``), never more than 10 % down
    (timm's channel rounding)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < round_limit * value else rounded


def _padding(kernel: int, stride: int = 1, dilation: int = 1) -> int:
    """timm's default (``pad_type=''``) static symmetric padding."""
    return ((stride - 1) + dilation * (kernel - 1)) // 2


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=_padding(kernel, stride),
                     groups=groups, bias=False)


def _activation(act: str) -> nn.Module:
    if act == 'relu':
        return nn.ReLU()
    if act == 'gelu':
        return nn.GELU()  # exact erf form, as timm's GELU
    raise ValueError(f"MobileNetV4: act must be 'relu' or 'gelu', got {act!r}.")


# ---------------------------------------------------------------------------------------------------- layers
class BatchNormAct2d(nn.BatchNorm2d):
    """BatchNorm followed by an activation, with BatchNorm's own keys (timm ``BatchNormAct2d``)."""

    def __init__(self, num_features: int, act: Optional[str] = None) -> None:
        super().__init__(num_features)
        self.act = _activation(act) if act else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(super().forward(x))


class ConvNormAct(nn.Module):
    """``conv`` -> ``bn`` (+ act) with timm's key names."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int = 1, groups: int = 1,
                 act: Optional[str] = None) -> None:
        super().__init__()
        self.conv = _conv(in_channels, out_channels, kernel, stride, groups)
        self.bn = BatchNormAct2d(out_channels, act)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn(self.conv(x))


class LayerScale2d(nn.Module):
    """Per-channel scale ``gamma`` of an NCHW tensor."""

    def __init__(self, channels: int, init_value: float) -> None:
        super().__init__()
        self.init_value = init_value
        self.gamma = nn.Parameter(torch.full((channels, ), float(init_value)))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gamma.view(1, -1, 1, 1)


class DropPath(nn.Module):
    """Stochastic depth: zero a residual branch per sample with probability ``drop_prob`` (training only), scaling
    the kept ones by 1 / (1 - drop_prob)."""

    def __init__(self, drop_prob: float) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.drop_prob == 0.:
            return x
        keep = 1. - self.drop_prob
        mask = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask.div_(keep)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob:.3f}'


def _drop_path(rate: float) -> nn.Module:
    return DropPath(rate) if rate > 0 else nn.Identity()


# ---------------------------------------------------------------------------------------------------- blocks
class ConvBlock(nn.Module):
    """Conv -> BN -> act (timm's ``ConvBnAct`` without skip)."""

    def __init__(self, in_channels: int, spec: Conv, act: str, drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None) -> None:
        super().__init__()
        self.conv = _conv(in_channels, spec.out_channels, spec.kernel, spec.stride)
        self.bn1 = BatchNormAct2d(spec.out_channels, act)

    def forward(self, x: Tensor) -> Tensor:
        return self.bn1(self.conv(x))


class FusedIBBlock(nn.Module):
    """KxK expansion conv (with the stride) + BN + act, 1x1 projection + BN, residual when the shape allows."""

    def __init__(self, in_channels: int, spec: FusedIB, act: str, drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None) -> None:
        super().__init__()
        mid = make_divisible(in_channels * spec.expand_ratio)
        self.has_skip = in_channels == spec.out_channels and spec.stride == 1
        self.conv_exp = _conv(in_channels, mid, spec.kernel, spec.stride)
        self.bn1 = BatchNormAct2d(mid, act)
        self.conv_pwl = _conv(mid, spec.out_channels, 1)
        self.bn2 = BatchNormAct2d(spec.out_channels)
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv_pwl(self.bn1(self.conv_exp(x))))
        return self.drop_path(out) + x if self.has_skip else out


class UIBBlock(nn.Module):
    """Universal inverted bottleneck: [dw_start] -> pw_exp (act) -> [dw_mid (act)] -> pw_proj -> [layer_scale].

    The stride goes to ``dw_mid`` when there is one, else to ``dw_start``.
    """

    def __init__(self, in_channels: int, spec: UIB, act: str, drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None) -> None:
        super().__init__()
        out = spec.out_channels
        if spec.stride > 1 and not (spec.start_kernel or spec.mid_kernel):
            raise ValueError('MobileNetV4: a strided UIB block needs a depthwise conv (start or mid kernel).')
        self.has_skip = in_channels == out and spec.stride == 1
        if spec.start_kernel:
            start_stride = 1 if spec.mid_kernel else spec.stride
            self.dw_start = ConvNormAct(in_channels, in_channels, spec.start_kernel, start_stride, in_channels)
        else:
            self.dw_start = nn.Identity()
        mid = make_divisible(in_channels * spec.expand_ratio)
        self.pw_exp = ConvNormAct(in_channels, mid, 1, act=act)
        if spec.mid_kernel:
            self.dw_mid = ConvNormAct(mid, mid, spec.mid_kernel, spec.stride, mid, act=act)
        else:
            self.dw_mid = nn.Identity()
        self.pw_proj = ConvNormAct(mid, out, 1)
        self.layer_scale = LayerScale2d(out, layer_scale) if layer_scale is not None else nn.Identity()
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: Tensor) -> Tensor:
        out = self.layer_scale(self.pw_proj(self.dw_mid(self.pw_exp(self.dw_start(x)))))
        return self.drop_path(out) + x if self.has_skip else out


class MultiQueryAttention2d(nn.Module):
    """Multi-query attention on NCHW maps: ``num_heads`` query heads share one key and one value head.

    query: 1x1 ``proj`` to heads x key_dim; key / value: [3x3 depthwise ``down_conv`` with stride ``kv_stride`` +
    ``norm`` (BN)] + 1x1 ``proj`` to key_dim; ``output.proj``: heads x key_dim -> out channels. No biases.
    """

    def __init__(self, dim: int, dim_out: int, num_heads: int, key_dim: int, kv_stride: int = 1,
                 dw_kernel: int = 3) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.scale = key_dim**-0.5
        self.kv_stride = kv_stride
        self.query = nn.Sequential()
        self.query.add_module('proj', _conv(dim, num_heads * key_dim, 1))
        self.key = self._kv_branch(dim, key_dim, kv_stride, dw_kernel)
        self.value = self._kv_branch(dim, key_dim, kv_stride, dw_kernel)
        self.output = nn.Sequential()
        self.output.add_module('proj', _conv(num_heads * key_dim, dim_out, 1))

    @staticmethod
    def _kv_branch(dim: int, out_dim: int, stride: int, dw_kernel: int) -> nn.Sequential:
        branch = nn.Sequential()
        if stride > 1:
            branch.add_module('down_conv', _conv(dim, dim, dw_kernel, stride, groups=dim))
            branch.add_module('norm', nn.BatchNorm2d(dim))
        branch.add_module('proj', _conv(dim, out_dim, 1))
        return branch

    def forward(self, x: Tensor) -> Tensor:
        B, _, H, W = x.shape
        q = self.query(x).reshape(B, self.num_heads, self.key_dim, H * W).transpose(-1, -2)  # [B, h, HW, d]
        k = self.key(x).flatten(2).transpose(1, 2).unsqueeze(1)  # [B, 1, P, d]
        v = self.value(x).flatten(2).transpose(1, 2).unsqueeze(1)  # [B, 1, P, d]
        attn = ((q * self.scale) @ k.transpose(-1, -2)).softmax(dim=-1)  # [B, h, HW, P]
        out = attn @ v  # [B, h, HW, d]
        out = out.permute(0, 1, 3, 2).reshape(B, self.num_heads * self.key_dim, H, W)
        return self.output(out)


class MQABlock(nn.Module):
    """``norm`` (BN, no act) -> multi-query ``attn`` -> [layer_scale] -> residual."""

    def __init__(self, in_channels: int, spec: MQA, act: str, drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None) -> None:
        super().__init__()
        self.has_skip = in_channels == spec.out_channels
        self.norm = nn.BatchNorm2d(in_channels)
        self.attn = MultiQueryAttention2d(in_channels, spec.out_channels, spec.num_heads, spec.key_dim,
                                          spec.kv_stride)
        self.layer_scale = (
            LayerScale2d(spec.out_channels, layer_scale) if layer_scale is not None else nn.Identity())
        self.drop_path = _drop_path(drop_path_rate)

    def forward(self, x: Tensor) -> Tensor:
        out = self.layer_scale(self.attn(self.norm(x)))
        return self.drop_path(out) + x if self.has_skip else out


_BLOCKS = {Conv: ConvBlock, FusedIB: FusedIBBlock, UIB: UIBBlock, MQA: MQABlock}


# ---------------------------------------------------------------------------------------------------- backbone
@MODELS.register_module()
class MobileNetV4(BaseModule):
    """MobileNetV4 with timm's module names; forward returns the 1280-d pre-logits features [B, 1280].

    stem (``conv_stem``, ``bn1``) -> ``blocks`` (5 stages, ``blocks.<stage>.<block>``) -> global average pool ->
    ``conv_head`` (1x1, 960 -> 1280) -> ``norm_head`` (BN + act) -> flatten -> dropout. timm's ``classifier`` is the
    ``fc`` of :class:`LinearHeadClassifier` (``head_key``).

    Args:
        arch (str | dict): One of :attr:`arch_settings` (``'conv-small'``, ``'conv-medium'``, ``'conv-large'``,
            ``'hybrid-medium'``, ``'hybrid-large'``) or a dict with ``stem_channels``, ``act`` ('relu' or 'gelu'),
            ``layer_scale`` (initial layer-scale value of the UIB and attention blocks, or None for none) and
            ``stages`` (a list of stages, each a list of :class:`Conv` / :class:`FusedIB` / :class:`UIB` /
            :class:`MQA` specs; only the first block of a stage may have a stride). Defaults to 'conv-small'.
        in_channels (int): Input channels. Defaults to 3.
        drop_path_rate (float): Stochastic depth of the last block; block i of n (counted over the whole network)
            drops its residual branch with ``drop_path_rate * i / n``, in training only. Defaults to 0.
        drop_rate (float): Dropout on the 1280-d features (timm's dropout before the classifier). Defaults to 0.
        init_cfg (dict, optional): Initialisation config; by default timm's: normal(0, sqrt(2 / fan_out)) convs,
            BatchNorm at one and zero, Xavier-uniform attention projections, layer scale at its initial value.
    """
    head_key = 'classifier'
    num_features = 1280
    arch_settings = {
        'conv-small': dict(
            stem_channels=32, act='relu', layer_scale=None,
            stages=[
                [Conv(3, 2, 32), Conv(1, 1, 32)],
                [Conv(3, 2, 96), Conv(1, 1, 64)],
                [UIB(5, 5, 2, 3, 96), UIB(0, 3, 1, 2, 96, repeat=4), UIB(3, 0, 1, 4, 96)],
                [UIB(3, 3, 2, 6, 128), UIB(5, 5, 1, 4, 128), UIB(0, 5, 1, 4, 128), UIB(0, 5, 1, 3, 128),
                 UIB(0, 3, 1, 4, 128, repeat=2)],
                [Conv(1, 1, 960)],
            ]),
        'conv-medium': dict(
            stem_channels=32, act='relu', layer_scale=None,
            stages=[
                [FusedIB(3, 2, 4, 48)],
                [UIB(3, 5, 2, 4, 80), UIB(3, 3, 1, 2, 80)],
                [UIB(3, 5, 2, 6, 160), UIB(3, 3, 1, 4, 160, repeat=2), UIB(3, 5, 1, 4, 160), UIB(3, 3, 1, 4, 160),
                 UIB(3, 0, 1, 4, 160), UIB(0, 0, 1, 2, 160), UIB(3, 0, 1, 4, 160)],
                [UIB(5, 5, 2, 6, 256), UIB(5, 5, 1, 4, 256), UIB(3, 5, 1, 4, 256, repeat=2), UIB(0, 0, 1, 4, 256),
                 UIB(3, 0, 1, 4, 256), UIB(3, 5, 1, 2, 256), UIB(5, 5, 1, 4, 256), UIB(0, 0, 1, 4, 256, repeat=2),
                 UIB(5, 0, 1, 2, 256)],
                [Conv(1, 1, 960)],
            ]),
        'conv-large': dict(
            stem_channels=24, act='relu', layer_scale=None,
            stages=[
                [FusedIB(3, 2, 4, 48)],
                [UIB(3, 5, 2, 4, 96), UIB(3, 3, 1, 4, 96)],
                [UIB(3, 5, 2, 4, 192), UIB(3, 3, 1, 4, 192, repeat=3), UIB(3, 5, 1, 4, 192),
                 UIB(5, 3, 1, 4, 192, repeat=5), UIB(3, 0, 1, 4, 192)],
                [UIB(5, 5, 2, 4, 512), UIB(5, 5, 1, 4, 512, repeat=3), UIB(5, 0, 1, 4, 512), UIB(5, 3, 1, 4, 512),
                 UIB(5, 0, 1, 4, 512, repeat=2), UIB(5, 3, 1, 4, 512), UIB(5, 5, 1, 4, 512),
                 UIB(5, 0, 1, 4, 512, repeat=3)],
                [Conv(1, 1, 960)],
            ]),
        'hybrid-medium': dict(
            stem_channels=32, act='relu', layer_scale=1e-5,
            stages=[
                [FusedIB(3, 2, 4, 48)],
                [UIB(3, 5, 2, 4, 80), UIB(3, 3, 1, 2, 80)],
                [UIB(3, 5, 2, 6, 160), UIB(0, 0, 1, 2, 160), UIB(3, 3, 1, 4, 160), UIB(3, 5, 1, 4, 160),
                 MQA(4, 64, 2, 160), UIB(3, 3, 1, 4, 160), MQA(4, 64, 2, 160), UIB(3, 0, 1, 4, 160),
                 MQA(4, 64, 2, 160), UIB(3, 3, 1, 4, 160), MQA(4, 64, 2, 160), UIB(3, 0, 1, 4, 160)],
                [UIB(5, 5, 2, 6, 256), UIB(5, 5, 1, 4, 256), UIB(3, 5, 1, 4, 256, repeat=2), UIB(0, 0, 1, 2, 256),
                 UIB(3, 5, 1, 2, 256), UIB(0, 0, 1, 2, 256), UIB(0, 0, 1, 4, 256), MQA(4, 64, 1, 256),
                 UIB(3, 0, 1, 4, 256), MQA(4, 64, 1, 256), UIB(5, 5, 1, 4, 256), MQA(4, 64, 1, 256),
                 UIB(5, 0, 1, 4, 256), MQA(4, 64, 1, 256), UIB(5, 0, 1, 4, 256)],
                [Conv(1, 1, 960)],
            ]),
        'hybrid-large': dict(
            stem_channels=24, act='gelu', layer_scale=1e-5,
            stages=[
                [FusedIB(3, 2, 4, 48)],
                [UIB(3, 5, 2, 4, 96), UIB(3, 3, 1, 4, 96)],
                [UIB(3, 5, 2, 4, 192), UIB(3, 3, 1, 4, 192, repeat=3), UIB(3, 5, 1, 4, 192),
                 UIB(5, 3, 1, 4, 192, repeat=2), MQA(8, 48, 2, 192), UIB(5, 3, 1, 4, 192), MQA(8, 48, 2, 192),
                 UIB(5, 3, 1, 4, 192), MQA(8, 48, 2, 192), UIB(5, 3, 1, 4, 192), MQA(8, 48, 2, 192),
                 UIB(3, 0, 1, 4, 192)],
                [UIB(5, 5, 2, 4, 512), UIB(5, 5, 1, 4, 512, repeat=3), UIB(5, 0, 1, 4, 512), UIB(5, 3, 1, 4, 512),
                 UIB(5, 0, 1, 4, 512, repeat=2), UIB(5, 3, 1, 4, 512), UIB(5, 5, 1, 4, 512), MQA(8, 64, 1, 512),
                 UIB(5, 0, 1, 4, 512), MQA(8, 64, 1, 512), UIB(5, 0, 1, 4, 512), MQA(8, 64, 1, 512),
                 UIB(5, 0, 1, 4, 512), MQA(8, 64, 1, 512), UIB(5, 0, 1, 4, 512)],
                [Conv(1, 1, 960)],
            ]),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'conv-small',
                 in_channels: int = 3,
                 drop_path_rate: float = 0.,
                 drop_rate: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        arch = resolve_arch(self, arch, ('stem_channels', 'act', 'layer_scale', 'stages'))
        act, layer_scale = arch['act'], arch['layer_scale']
        _activation(act)  # validate early
        self.drop_rate = drop_rate
        stem = make_divisible(arch['stem_channels'])
        self.conv_stem = _conv(in_channels, stem, 3, stride=2)
        self.bn1 = BatchNormAct2d(stem, act)

        stages = [self._expand(stage) for stage in arch['stages']]
        total = sum(len(stage) for stage in stages)
        channels, index, blocks = stem, 0, []
        for stage in stages:
            layers = []
            for i, spec in enumerate(stage):
                spec = spec._replace(out_channels=make_divisible(spec.out_channels))
                if i > 0 and getattr(spec, 'stride', 1) != 1:
                    raise ValueError(f'MobileNetV4: only the first block of a stage may have a stride, got {spec}.')
                layers.append(_BLOCKS[type(spec)](channels, spec, act, drop_path_rate * index / total, layer_scale))
                channels, index = spec.out_channels, index + 1
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.Sequential(*blocks)
        self.conv_head = _conv(channels, self.num_features, 1)
        self.norm_head = BatchNormAct2d(self.num_features, act)
        self.out_channels = self.num_features
        self._init_timm()

    @staticmethod
    def _expand(stage: Sequence[BlockSpec]) -> List[BlockSpec]:
        """One spec per block: ``repeat`` copies, the stride on the first only."""
        blocks = []
        for spec in stage:
            if type(spec) not in _BLOCKS:
                raise ValueError(f'MobileNetV4: unknown block spec {spec!r}; use Conv, FusedIB, UIB or MQA.')
            first = spec._replace(repeat=1)
            blocks.append(first)
            rest = first._replace(stride=1) if hasattr(first, 'stride') else first
            blocks += [rest] * (spec.repeat - 1)
        return blocks

    def _init_timm(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels // module.groups
                nn.init.normal_(module.weight, 0, math.sqrt(2.0 / fan_out))
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, LayerScale2d):
                nn.init.constant_(module.gamma, module.init_value)
        for module in self.modules():
            if isinstance(module, MultiQueryAttention2d):  # as timm: Xavier helps the hybrids' stability
                for branch in (module.query, module.key, module.value, module.output):
                    for name in ('down_conv', 'proj'):
                        if hasattr(branch, name):
                            nn.init.xavier_uniform_(getattr(branch, name).weight)

    def forward(self, x: Tensor) -> Tensor:
        """Images [B, C, H, W] -> pre-logits features [B, 1280]."""
        x = self.blocks(self.bn1(self.conv_stem(x)))
        x = self.norm_head(self.conv_head(F.adaptive_avg_pool2d(x, 1)))
        x = x.flatten(1)
        if self.drop_rate > 0.:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x
