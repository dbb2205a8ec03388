# Copyright (c) mmkd contributors. All rights reserved.
"""PVT, the pyramid vision transformer (Wang et al. 2021, v1), as the CIFAR-100 student of the RKKD paper's
Table 4, with the module names of ``tiny-transformers`` (as bundled in sunshangquan/logit-standardization-KD),
whose ``{'model_state': state_dict}`` checkpoints load as-is.

(mmdet's ``PyramidVisionTransformer`` is the same architecture with other module names and no class token; it
is a detection backbone, this is the classifier.)
"""
from typing import Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch
from .deit import drop_path_or_identity, layer_norm, transformer_init


class SpatialReductionAttention(nn.Module):
    """Multi-head attention whose keys and values come from the token map shrunk ``sr_ratio`` times by a strided
    convolution ``sr`` and a LayerNorm ``norm`` (both absent when ``sr_ratio`` is 1).

    Args:
        dims (int): Channels.
        num_heads (int): Attention heads.
        qkv_bias (bool): Bias of ``q`` and ``kv``.
        attn_drop_rate (float): Dropout on the attention weights.
        proj_drop_rate (float): Dropout after ``proj``.
        sr_ratio (int): Spatial reduction of keys and values.
    """

    def __init__(self, dims: int, num_heads: int, qkv_bias: bool = False, attn_drop_rate: float = 0.,
                 proj_drop_rate: float = 0., sr_ratio: int = 1) -> None:
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'PVT: {dims} channels do not split into {num_heads} heads.')
        self.num_heads = num_heads
        self.scale = (dims // num_heads)**-0.5
        self.q = nn.Linear(dims, dims, bias=qkv_bias)
        self.kv = nn.Linear(dims, 2 * dims, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop_rate)
        self.proj = nn.Linear(dims, dims)
        self.proj_drop = nn.Dropout(proj_drop_rate)
        self.sr_ratio = sr_ratio
        if sr_ratio > 1:
            self.sr = nn.Conv2d(dims, dims, kernel_size=sr_ratio, stride=sr_ratio)
            self.norm = layer_norm(dims)

    def forward(self, x: Tensor, height: int, width: int) -> Tensor:
        batch, tokens, dims = x.shape
        q = self.q(x).reshape(batch, tokens, self.num_heads, -1).transpose(1, 2)
        if self.sr_ratio > 1:
            # the tokens are exactly the height x width map here (the class token joins only the last stage,
            # which has no reduction)
            reduced = self.sr(x.transpose(1, 2).reshape(batch, dims, height, width))
            x = self.norm(reduced.flatten(2).transpose(1, 2))
        kv = self.kv(x).reshape(batch, -1, 2, self.num_heads, dims // self.num_heads).permute(2, 0, 3, 1, 4)
        k, v = kv.unbind(0)
        weights = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = (self.attn_drop(weights) @ v).transpose(1, 2).reshape(batch, tokens, dims)
        return self.proj_drop(self.proj(out))


class Mlp(nn.Module):
    """``fc1`` -> GELU -> dropout -> ``fc2`` -> dropout."""

    def __init__(self, dims: int, hidden: int, drop_rate: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dims, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dims)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class Block(nn.Module):
    """Pre-norm PVT layer: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``, with stochastic depth."""

    def __init__(self, dims: int, num_heads: int, mlp_ratio: float, qkv_bias: bool, drop_rate: float,
                 attn_drop_rate: float, drop_path_rate: float, sr_ratio: int) -> None:
        super().__init__()
        self.norm1 = layer_norm(dims)
        self.attn = SpatialReductionAttention(dims, num_heads, qkv_bias, attn_drop_rate, drop_rate, sr_ratio)
        self.drop_path = drop_path_or_identity(drop_path_rate)
        self.norm2 = layer_norm(dims)
        self.mlp = Mlp(dims, int(dims * mlp_ratio), drop_rate)

    def forward(self, x: Tensor, height: int, width: int) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x), height, width))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    """Non-overlapping ``patch_size`` patches, projected (``proj``) and normalised (``norm``); ``grid`` is the
    token grid at the size the network was built for."""

    def __init__(self, grid: Tuple[int, int], patch_size: int, in_channels: int, dims: int) -> None:
        super().__init__()
        self.grid = grid
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, dims, kernel_size=patch_size, stride=patch_size)
        self.norm = layer_norm(dims)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        x = self.proj(x)
        size = (x.shape[2], x.shape[3])
        return self.norm(x.flatten(2).transpose(1, 2)), size


@MODELS.register_module()
class PVT(nn.Module):
    """PVT (v1) as ``tiny-transformers`` trains it on CIFAR-100 (images resized to 224): four stages of patch
    embedding + spatial-reduction transformer layers; a class token joins the last stage.

    Each stage has its own learnt position embedding (``pos_embed{i}``, for the grid at ``img_size``; the last
    one has a leading class-token row). An input of another size gets them resized bilinearly
    (``align_corners=False``) to its grids, as the official code does; at ``img_size`` they are used as they
    are.

    Args:
        arch (str | dict): ``'tiny'`` (patches 4/2/2/2, dims 64/128/320/512, depths 2/2/2/2, heads 1/2/5/8, MLP
            ratios 8/8/4/4, spatial reductions 8/4/2/1, qkv bias) or a dict with ``patch_sizes``,
            ``embed_dims``, ``depths``, ``num_heads``, ``mlp_ratios``, ``sr_ratios`` and ``qkv_bias``.
            Defaults to 'tiny'.
        img_size (int): Input size (square) the position embeddings are built for. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout after the position embeddings, the attention projection and in the MLP.
            Defaults to 0.
        attn_drop_rate (float): Dropout on the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth of the last layer, rising linearly from 0 at the first.
            Defaults to 0.1 (the official CIFAR-100 configs).

    Forward returns the class token after the final norm, [B, embed_dims[-1]]; the official classifier ``head``
    is :class:`LinearHeadClassifier`'s ``fc`` (``head_key``); ``init_cfg=PVT.head_init_cfg`` on the classifier
    initialises it as the official code does.
    """
    head_key = 'head'
    #: ``init_cfg`` of ``LinearHeadClassifier`` that initialises its ``fc`` as the official ``head``
    head_init_cfg = dict(type='TruncNormal', std=.02, a=-2., b=2., bias=0., override=dict(name='fc'))
    arch_settings = {
        'tiny': dict(patch_sizes=(4, 2, 2, 2), embed_dims=(64, 128, 320, 512), depths=(2, 2, 2, 2),
                     num_heads=(1, 2, 5, 8), mlp_ratios=(8, 8, 4, 4), sr_ratios=(8, 4, 2, 1), qkv_bias=True),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 img_size: int = 224,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1) -> None:
        super().__init__()
        keys = ('patch_sizes', 'embed_dims', 'depths', 'num_heads', 'mlp_ratios', 'sr_ratios', 'qkv_bias')
        arch = resolve_arch(self, arch, keys)
        settings = [list(arch[key]) for key in keys[:-1]]
        if len({len(s) for s in settings}) != 1 or not settings[0]:
            raise ValueError(f'PVT: {list(keys[:-1])} must have the same (non-zero) length.')
        patch_sizes, dims, depths, heads, mlp_ratios, sr_ratios = settings
        self.img_size = img_size
        self.num_stages = len(dims)
        self.out_channels = dims[-1]
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        grid, channels = img_size, in_channels
        for i in range(self.num_stages):
            grid //= patch_sizes[i]
            tokens = grid * grid + (1 if i == self.num_stages - 1 else 0)
            setattr(self, f'patch_embed{i + 1}', PatchEmbed((grid, grid), patch_sizes[i], channels, dims[i]))
            setattr(self, f'pos_embed{i + 1}', nn.Parameter(torch.zeros(1, tokens, dims[i])))
            setattr(self, f'pos_drop{i + 1}', nn.Dropout(drop_rate))
            layer_rates, rates = rates[:depths[i]], rates[depths[i]:]
            setattr(
                self, f'block{i + 1}',
                nn.ModuleList(
                    Block(dims[i], heads[i], mlp_ratios[i], arch['qkv_bias'], drop_rate, attn_drop_rate, rate,
                          sr_ratios[i]) for rate in layer_rates))
            channels = dims[i]
        self.norm = layer_norm(dims[-1])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims[-1]))
        for i in range(self.num_stages):
            nn.init.trunc_normal_(getattr(self, f'pos_embed{i + 1}'), std=.02)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        self.apply(transformer_init)

    @staticmethod
    def resize_pos_embed(pos_embed: Tensor, grid: Tuple[int, int], size: Tuple[int, int]) -> Tensor:
        """A position embedding [1, grid_h * grid_w, C] for a ``size`` grid: itself when the grids agree, else
        bilinearly resized (``align_corners=False``, as the official code)."""
        if tuple(size) == tuple(grid):
            return pos_embed
        pos_embed = pos_embed.reshape(1, grid[0], grid[1], -1).permute(0, 3, 1, 2)
        pos_embed = F.interpolate(pos_embed, size=size, mode='bilinear', align_corners=False)
        return pos_embed.flatten(2).transpose(1, 2)

    def forward(self, x: Tensor) -> Tensor:
        batch = x.shape[0]
        for i in range(1, self.num_stages + 1):
            patch_embed = getattr(self, f'patch_embed{i}')
            pos_embed = getattr(self, f'pos_embed{i}')
            x, (height, width) = patch_embed(x)
            if i == self.num_stages:
                x = torch.cat([self.cls_token.expand(batch, -1, -1), x], dim=1)
                pos_embed = torch.cat(
                    [pos_embed[:, :1],
                     self.resize_pos_embed(pos_embed[:, 1:], patch_embed.grid, (height, width))], dim=1)
            else:
                pos_embed = self.resize_pos_embed(pos_embed, patch_embed.grid, (height, width))
            x = getattr(self, f'pos_drop{i}')(x + pos_embed)
            for block in getattr(self, f'block{i}'):
                x = block(x, height, width)
            if i != self.num_stages:
                # a contiguous NCHW map, as the official code passes on (a strided view would pick another
                # convolution kernel and round differently)
                x = x.transpose(1, 2).reshape(batch, -1, height, width).contiguous()
        return self.norm(x)[:, 0]
