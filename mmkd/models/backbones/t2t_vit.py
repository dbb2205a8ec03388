# Copyright (c) mmkd contributors. All rights reserved.
"""T2T-ViT (Yuan et al. 2021) with Performer token-to-token layers, as the CIFAR-100 student of the RKKD paper's
Table 4, with the module names of ``tiny-transformers`` (as bundled in sunshangquan/logit-standardization-KD),
whose ``{'model_state': state_dict}`` checkpoints load as-is."""
import math
from functools import partial
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch
from .deit import MLP, TransformerLayer, layer_norm, transformer_init


class PerformerAttention(nn.Module):
    """Single-head linear attention with positive random features (Performer, FAVOR+), mapping ``in_channels``
    tokens to ``out_channels``.

    The random projection ``w`` [m, out_channels] (orthogonal rows of norm sqrt(m), ``m = out_channels *
    kernel_ratio``) is a frozen parameter: it is drawn once, kept in the state dict and never trained. As in
    the official code, the feature map and the attention products run in float32 whatever the input dtype
    (the inputs are cast with ``.float()``), so this module does not run in float64.

    Args:
        in_channels (int): Input token channels.
        out_channels (int): Output token channels (the single head's width).
        kernel_ratio (float): Random features per output channel. Defaults to 0.5.
        drop_rate (float): Dropout after ``projection``. Defaults to 0.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_ratio: float = 0.5, drop_rate: float = 0.) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.qkv_transform = nn.Linear(in_channels, 3 * out_channels)
        self.projection = nn.Linear(out_channels, out_channels)
        self.dropout = nn.Dropout(drop_rate)
        self.m = int(out_channels * kernel_ratio)
        w = nn.init.orthogonal_(torch.empty(self.m, out_channels)) * math.sqrt(self.m)
        self.w = nn.Parameter(w, requires_grad=False)

    def random_features(self, x: Tensor) -> Tensor:
        """phi(x) = exp(w x - |x|^2 / 2) / sqrt(m), [B, N, m] in float32."""
        half_sq_norm = (x * x).sum(dim=-1, keepdim=True) / 2
        projected = torch.einsum('bnc,mc->bnm', x.float(), self.w)
        return torch.exp(projected - half_sq_norm) / math.sqrt(self.m)

    def forward(self, x: Tensor) -> Tensor:
        # the official order of the fused projection is key, query, value
        k, q, v = self.qkv_transform(x).split(self.out_channels, dim=-1)
        phi_k, phi_q = self.random_features(k), self.random_features(q)
        normaliser = torch.einsum('bnm,bm->bn', phi_q, phi_k.sum(dim=1)).unsqueeze(dim=2)
        kv = torch.einsum('bnc,bnm->bcm', v.float(), phi_k)
        y = torch.einsum('bnm,bcm->bnc', phi_q, kv) / (normaliser + 1e-8)
        y = self.dropout(self.projection(y))
        if self.in_channels != self.out_channels:
            y = v + y  # the value is the residual path when the width changes
        return y


class PerformerLayer(nn.Module):
    """``attn(norm1(x))`` (with a residual only when the width is kept), then ``x + mlp(norm2(x))``; no
    stochastic depth, no dropout."""

    def __init__(self, in_channels: int, out_channels: int, kernel_ratio: float = 0.5) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.norm1 = layer_norm(in_channels)
        self.attn = PerformerAttention(in_channels, out_channels, kernel_ratio)
        self.norm2 = layer_norm(out_channels)
        self.mlp = MLP(out_channels, out_channels, hidden_ratio=1.)

    def forward(self, x: Tensor) -> Tensor:
        y = self.attn(self.norm1(x))
        x = x + y if self.in_channels == self.out_channels else y
        return x + self.mlp(self.norm2(x))


class Token2TokenModule(nn.Module):
    """Soft split (overlapping unfold) -> [Performer layer -> re-structurise -> soft split] x (len(kernels) - 1)
    -> linear ``projection`` to the transformer width.

    Args:
        in_channels (int): Image channels.
        out_channels (int): Transformer width.
        token_dims (int): Width of the Performer layers.
        kernel_sizes, strides, paddings (Sequence[int]): The soft splits.
    """

    def __init__(self, in_channels: int, out_channels: int, token_dims: int, kernel_sizes: Sequence[int],
                 strides: Sequence[int], paddings: Sequence[int]) -> None:
        super().__init__()
        if not len(kernel_sizes) == len(strides) == len(paddings) >= 1:
            raise ValueError('T2TViT: kernel_sizes, strides and paddings must have the same (non-zero) length.')
        self.kernel_sizes, self.strides, self.paddings = list(kernel_sizes), list(strides), list(paddings)
        self.soft_split0 = nn.Unfold(kernel_sizes[0], stride=strides[0], padding=paddings[0])
        self.soft_split = nn.ModuleList()
        self.attention = nn.ModuleList()
        channels = in_channels * kernel_sizes[0]**2
        for kernel, stride, padding in zip(kernel_sizes[1:], strides[1:], paddings[1:]):
            self.attention.append(PerformerLayer(channels, token_dims))
            self.soft_split.append(nn.Unfold(kernel, stride=stride, padding=padding))
            channels = token_dims * kernel**2
        self.projection = nn.Linear(channels, out_channels)

    def grid_sizes(self, height: int, width: int, splits: Optional[int] = None) -> Tuple[int, int]:
        """Token grid of an input of ``height`` x ``width`` after its first ``splits`` soft splits (all by
        default)."""
        for kernel, stride, padding in list(zip(self.kernel_sizes, self.strides, self.paddings))[:splits]:
            height = (height + 2 * padding - kernel) // stride + 1
            width = (width + 2 * padding - kernel) // stride + 1
        return height, width

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        x = self.soft_split0(x).transpose(1, 2)  # [B, N, C * k * k]
        for i, (attention, soft_split) in enumerate(zip(self.attention, self.soft_split), 1):
            x = attention(x).transpose(1, 2)  # [B, C, N]: back to an image of the grid after i splits
            x = soft_split(x.reshape(*x.shape[:2], *self.grid_sizes(*size, splits=i))).transpose(1, 2)
        return self.projection(x)


def sinusoid_position_embedding(positions: int, dims: int) -> Tensor:
    """The fixed sine/cosine table of "Attention is all you need": [1, positions, dims], float32 (computed in
    float64)."""
    position = torch.arange(positions, dtype=torch.float64)[:, None]
    exponent = (2 * (torch.arange(dims) // 2)).to(torch.float64) / dims
    angle = position / torch.pow(10000., exponent)
    table = torch.empty_like(angle)
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float().unsqueeze(0)


@MODELS.register_module()
class T2TViT(nn.Module):
    """T2T-ViT as ``tiny-transformers`` trains it on CIFAR-100 (images resized to 224): a tokens-to-token module
    of Performer layers, then a class-token transformer with a fixed sinusoid position embedding.

    ``pos_embed`` (the sinusoid table) and every ``t2t_module.attention.*.attn.w`` (the Performer's random
    projection) are parameters with ``requires_grad=False``: in the state dict, never trained. The Performer runs
    in float32 (see :class:`PerformerAttention`). The transformer layers have no qkv bias.

    Args:
        arch (str | dict): ``'t2t-vit-7'`` (dims 256, depth 7, 4 heads, MLP ratio 2, token dims 64, soft splits
            kernels 7/3/3, strides 4/2/2, paddings 2/1/1) or a dict with ``embed_dims``, ``depth``,
            ``num_heads``, ``mlp_ratio``, ``token_dims``, ``kernel_sizes``, ``strides`` and ``paddings``.
            Defaults to 't2t-vit-7'.
        img_size (int): Input size (square); the position embedding is built for it. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout after the position embedding, the attention projection and in the MLP of
            the transformer layers (the tokens-to-token module has none). Defaults to 0.
        attn_drop_rate (float): Dropout on the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth of the last layer, rising linearly from 0 at the first.
            Defaults to 0.1 (the official CIFAR-100 configs).

    Forward returns the class token after the final norm, [B, embed_dims]; the official classifier ``head`` is
    :class:`LinearHeadClassifier`'s ``fc`` (``head_key``); ``init_cfg=T2TViT.head_init_cfg`` on the classifier
    initialises it as the official code does.
    """
    head_key = 'head'
    #: ``init_cfg`` of ``LinearHeadClassifier`` that initialises its ``fc`` as the official ``head``
    head_init_cfg = dict(type='Normal', std=.02, bias=0., override=dict(name='fc'))
    arch_settings = {
        't2t-vit-7':
        dict(embed_dims=256, depth=7, num_heads=4, mlp_ratio=2, token_dims=64, kernel_sizes=(7, 3, 3),
             strides=(4, 2, 2), paddings=(2, 1, 1)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 't2t-vit-7',
                 img_size: int = 224,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('embed_dims', 'depth', 'num_heads', 'mlp_ratio', 'token_dims',
                                         'kernel_sizes', 'strides', 'paddings'))
        dims, depth = arch['embed_dims'], arch['depth']
        self.img_size = img_size
        self.out_channels = dims
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims))
        self.t2t_module = Token2TokenModule(in_channels, dims, arch['token_dims'], arch['kernel_sizes'],
                                            arch['strides'], arch['paddings'])
        height, width = self.t2t_module.grid_sizes(img_size, img_size)
        self.num_patches = height * width
        self.pos_embed = nn.Parameter(sinusoid_position_embedding(self.num_patches + 1, dims), requires_grad=False)
        self.pe_dropout = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.layers = nn.ModuleList(
            TransformerLayer(dims, arch['num_heads'], arch['mlp_ratio'], False, drop_rate, attn_drop_rate, rate)
            for rate in rates)
        self.norm = layer_norm(dims)
        nn.init.normal_(self.cls_token, std=.02)
        self.apply(partial(transformer_init, truncated=False))

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[-2:]) != (self.img_size, self.img_size):
            raise ValueError(f'T2TViT: input of {tuple(x.shape[-2:])} pixels; built for img_size={self.img_size} '
                             '(its position embedding has a fixed size).')
        x = self.t2t_module(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.pe_dropout(x + self.pos_embed)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)[:, 0]
