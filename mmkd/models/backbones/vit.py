# Copyright (c) mmkd contributors. All rights reserved.
"""The Vision Transformer (Dosovitskiy et al., ICLR 2021) in timm's layout.

State-dict keys and shapes are those of timm's ``vit_{tiny,small,base,large}_patch16_224`` (``patch_embed.proj``,
``cls_token``, ``pos_embed``, ``blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}``, ``norm``; the classifier
``head`` becomes :class:`LinearHeadClassifier`'s ``fc``), so timm / Hugging Face checkpoints load as they are
(``tests/test_models/timm_reference.json`` holds timm's own key lists and logits). The class-token pooling of
those models: the backbone returns the final-normed class token [B, D].
"""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch


class Attention(nn.Module):
    """Multi-head self-attention with one ``qkv`` projection (timm's ``Attention``)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'ViT: embed_dims {dim} is not divisible by num_heads {num_heads}.')
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor) -> Tensor:
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4).unbind(0)
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(B, N, C)))


class Mlp(nn.Module):
    """fc1 -> GELU -> fc2 (timm's ``Mlp``)."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class Block(nn.Module):
    """A pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``, with stochastic depth."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, qkv_bias: bool, drop: float, attn_drop: float,
                 drop_path: float, norm_eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    """Non-overlapping ``patch_size`` patches projected by a strided convolution (``proj``)."""

    def __init__(self, patch_size: int, in_channels: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        x = self.proj(x)
        return x.flatten(2).transpose(1, 2), tuple(x.shape[-2:])


@MODELS.register_module()
class ViT(BaseModule):
    """Vision Transformer with a class token, timm's layout (``vit_*_patch16_224``).

    Args:
        arch (str | dict): ``'tiny'``, ``'small'``, ``'base'``, ``'large'`` (ViT-Ti/S/B/L), or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads`` and ``mlp_ratio``. Defaults to ``'base'``.
        img_size (int): The input size the position embedding is made for. Other input sizes are accepted: the
            embedding is resized bicubically to the patch grid (as timm's ``resample_abs_pos_embed``). Defaults
            to 224.
        patch_size (int): Defaults to 16.
        in_channels (int): Defaults to 3.
        qkv_bias (bool): Defaults to True.
        drop_rate (float): Dropout after the position embedding, in the MLPs and after the attention
            projection. Defaults to 0.
        attn_drop_rate (float): Dropout of the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth, rising linearly to this rate over the blocks. Defaults to 0.
        norm_eps (float): LayerNorm epsilon. Defaults to 1e-6 (timm's).
        init_cfg (dict, optional): Initialisation config; by default timm's: truncated-normal(0.02) linear layers
            and position embedding, class token normal(1e-6), LayerNorms at one and zero.
    """
    arch_settings = {
        'tiny': dict(embed_dims=192, num_layers=12, num_heads=3, mlp_ratio=4.0),
        'small': dict(embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4.0),
        'base': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4.0),
        'large': dict(embed_dims=1024, num_layers=24, num_heads=16, mlp_ratio=4.0),
    }
    #: timm's classifier
    head_key = 'head'

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        settings = resolve_arch(self, arch, ('embed_dims', 'num_layers', 'num_heads', 'mlp_ratio'))
        dim, depth = settings['embed_dims'], settings['num_layers']
        if img_size % patch_size:
            raise ValueError(f'ViT: img_size {img_size} is not a multiple of patch_size {patch_size}.')
        self.out_channels = self.embed_dims = dim
        self.grid = (img_size // patch_size, img_size // patch_size)
        self.patch_embed = PatchEmbed(patch_size, in_channels, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid[0] * self.grid[1], dim))
        self.pos_drop = nn.Dropout(drop_rate)
        rates = [drop_path_rate * i / (depth - 1) if depth > 1 else 0. for i in range(depth)]  # timm's linspace
        self.blocks = nn.Sequential(*[
            Block(dim, settings['num_heads'], settings['mlp_ratio'], qkv_bias, drop_rate, attn_drop_rate, rate,
                  norm_eps) for rate in rates
        ])
        self.norm = nn.LayerNorm(dim, eps=norm_eps)
        self._init_timm()

    def _init_timm(self) -> None:
        nn.init.trunc_normal_(self.pos_embed, std=.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Conv2d):  # the patch projection: lecun normal, as timm's default init
                fan_in = module.in_channels * math.prod(module.kernel_size)
                nn.init.trunc_normal_(module.weight, std=math.sqrt(1.0 / fan_in))
                nn.init.zeros_(module.bias)

    def position_embedding(self, grid: Tuple[int, int]) -> Tensor:
        """The position embedding for a ``grid`` of patches (resized bicubically from ``img_size``'s grid)."""
        if grid == self.grid:
            return self.pos_embed
        cls_pos, patch_pos = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        patch_pos = patch_pos.reshape(1, *self.grid, -1).permute(0, 3, 1, 2)
        patch_pos = F.interpolate(patch_pos.float(), size=grid, mode='bicubic', align_corners=False)
        patch_pos = patch_pos.to(self.pos_embed.dtype).flatten(2).transpose(1, 2)
        return torch.cat([cls_pos, patch_pos], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Images [B, C, H, W] -> the final-normed class token [B, embed_dims]."""
        x, grid = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.pos_drop(x + self.position_embedding(grid))
        x = self.norm(self.blocks(x))
        return x[:, 0]
