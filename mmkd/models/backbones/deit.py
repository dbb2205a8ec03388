# Copyright (c) mmkd contributors. All rights reserved.
"""DeiT (Touvron et al. 2021) as the CIFAR-100 student of the RKKD paper's Table 4, with the module names of
``tiny-transformers`` (lkhl/tiny-transformers, as bundled in sunshangquan/logit-standardization-KD), whose
``{'model_state': state_dict}`` checkpoints load as-is.

The transformer layer defined here (``MultiheadAttention``, ``MLP``, ``TransformerLayer``, ``layer_norm``) is the
one that code shares between DeiT, T2T-ViT and PiT; :mod:`.t2t_vit` and :mod:`.pit` import it from here.
"""
from typing import Union

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch

#: LayerNorm epsilon of tiny-transformers (``TRANSFORMER.LN_EPS``), used by every norm of the four networks.
LN_EPS = 1e-6


def layer_norm(dims: int) -> nn.LayerNorm:
    """LayerNorm with tiny-transformers' epsilon (1e-6, not PyTorch's 1e-5)."""
    return nn.LayerNorm(dims, eps=LN_EPS)


def drop_path_or_identity(rate: float) -> nn.Module:
    """Stochastic depth with probability ``rate``; an identity (as in the official code) when it is 0."""
    return DropPath(rate) if rate > 0 else nn.Identity()


class MultiheadAttention(nn.Module):
    """Self-attention with one fused ``qkv_transform`` and an output ``projection``.

    Args:
        dims (int): Token channels.
        num_heads (int): Attention heads; ``dims`` must be a multiple.
        qkv_bias (bool): Bias of ``qkv_transform``.
        attn_drop_rate (float): Dropout on the attention weights.
        proj_drop_rate (float): Dropout after ``projection``.
    """

    def __init__(self,
                 dims: int,
                 num_heads: int,
                 qkv_bias: bool = False,
                 attn_drop_rate: float = 0.,
                 proj_drop_rate: float = 0.) -> None:
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'MultiheadAttention: {dims} channels do not split into {num_heads} heads.')
        self.dims = dims
        self.num_heads = num_heads
        self.scale = (dims // num_heads)**-0.5
        self.qkv_transform = nn.Linear(dims, 3 * dims, bias=qkv_bias)
        self.projection = nn.Linear(dims, dims)
        self.attention_dropout = nn.Dropout(attn_drop_rate)
        self.projection_dropout = nn.Dropout(proj_drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        batch, tokens, _ = x.shape
        qkv = self.qkv_transform(x).reshape(batch, tokens, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # [B, heads, N, head_dims] each
        weights = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        out = self.attention_dropout(weights) @ v
        out = out.transpose(1, 2).reshape(batch, tokens, self.dims)
        return self.projection_dropout(self.projection(out))


class MLP(nn.Module):
    """``fc1`` -> GELU -> dropout -> ``fc2`` -> dropout, hidden width ``int(in_channels * hidden_ratio)``."""

    def __init__(self, in_channels: int, out_channels: int, drop_rate: float = 0., hidden_ratio: float = 1.) -> None:
        super().__init__()
        hidden = int(in_channels * hidden_ratio)
        self.fc1 = nn.Linear(in_channels, hidden)
        self.fc2 = nn.Linear(hidden, out_channels)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: Tensor) -> Tensor:
        x = self.drop(F.gelu(self.fc1(x)))
        return self.drop(self.fc2(x))


class TransformerLayer(nn.Module):
    """Pre-norm encoder layer: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``, each branch with stochastic
    depth.

    Args:
        dims (int): Token channels.
        num_heads (int): Attention heads.
        mlp_ratio (float): Hidden width of the MLP over ``dims``.
        qkv_bias (bool): Bias of the fused query/key/value projection.
        drop_rate (float): Dropout after the attention projection and in the MLP.
        attn_drop_rate (float): Dropout on the attention weights.
        drop_path_rate (float): Stochastic depth of both branches.
    """

    def __init__(self,
                 dims: int,
                 num_heads: int,
                 mlp_ratio: float = 1.,
                 qkv_bias: bool = False,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.) -> None:
        super().__init__()
        self.norm1 = layer_norm(dims)
        self.attn = MultiheadAttention(dims, num_heads, qkv_bias, attn_drop_rate, drop_rate)
        self.drop_path = drop_path_or_identity(drop_path_rate)
        self.norm2 = layer_norm(dims)
        self.mlp = MLP(dims, dims, drop_rate=drop_rate, hidden_ratio=mlp_ratio)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbedding(nn.Module):
    """Non-overlapping ``patch_size`` patches projected by a strided convolution; returns tokens [B, N, C]."""

    def __init__(self, img_size: int, patch_size: int, in_channels: int, dims: int) -> None:
        super().__init__()
        self.img_size = img_size
        self.num_patches = (img_size // patch_size)**2
        self.projection = nn.Conv2d(in_channels, dims, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[-2:]) != (self.img_size, self.img_size):
            raise ValueError(f'Input of {tuple(x.shape[-2:])} pixels; this network was built for img_size='
                             f'{self.img_size} (its position embedding has a fixed size).')
        return self.projection(x).flatten(2).transpose(1, 2)


def transformer_init(module: nn.Module, truncated: bool = True) -> None:
    """The official initialisation of one module: Linear weights normal with std 0.02 (truncated at +-2 for DeiT
    and PVT, plain for T2T-ViT) and zero bias, LayerNorm to identity; convolutions keep PyTorch's default."""
    if isinstance(module, nn.Linear):
        (nn.init.trunc_normal_ if truncated else nn.init.normal_)(module.weight, std=.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


@MODELS.register_module()
class DeiT(nn.Module):
    """DeiT, the plain class-token vision transformer, as ``tiny-transformers`` trains it on CIFAR-100 (images
    resized to 224).

    Only the class-token network: the official model adds a distillation token (``distill_token``,
    ``distill_head``, two more position-embedding rows) when its own logit distillation
    (``DISTILLATION.ENABLE_LOGIT``) is on; mmkd distils through its distillers, so that token is left out and
    the checkpoints of the official *base* runs (trained without it, e.g. the 65.08% DeiT-Tiny) load as-is.

    Args:
        arch (str | dict): ``'tiny'`` (dims 192, depth 12, 3 heads, MLP ratio 4, patch 16, qkv bias) or a dict
            with ``patch_size``, ``embed_dims``, ``depth``, ``num_heads``, ``mlp_ratio`` and ``qkv_bias``.
            Defaults to 'tiny'.
        img_size (int): Input size (square); the position embedding is built for it. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout after the position embedding, the attention projection and in the MLP.
            Defaults to 0.
        attn_drop_rate (float): Dropout on the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth of the last layer, rising linearly from 0 at the first.
            Defaults to 0.1 (the official CIFAR-100 configs).

    Forward returns the class token after the final norm, [B, embed_dims]; the official classifier ``head`` is
    :class:`LinearHeadClassifier`'s ``fc`` (``head_key``). The official code zero-initialises it: build the
    classifier with ``init_cfg=DeiT.head_init_cfg`` to do the same.
    """
    head_key = 'head'
    #: ``init_cfg`` of ``LinearHeadClassifier`` that initialises its ``fc`` as the official ``head`` (zeros)
    head_init_cfg = dict(type='Constant', val=0., bias=0., override=dict(name='fc'))
    arch_settings = {
        'tiny': dict(patch_size=16, embed_dims=192, depth=12, num_heads=3, mlp_ratio=4, qkv_bias=True),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 img_size: int = 224,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('patch_size', 'embed_dims', 'depth', 'num_heads', 'mlp_ratio', 'qkv_bias'))
        dims, depth = arch['embed_dims'], arch['depth']
        self.img_size = img_size
        self.out_channels = dims
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims))
        self.patch_embed = PatchEmbedding(img_size, arch['patch_size'], in_channels, dims)
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, dims))
        self.pe_dropout = nn.Dropout(drop_rate)
        rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.layers = nn.ModuleList(
            TransformerLayer(dims, arch['num_heads'], arch['mlp_ratio'], arch['qkv_bias'], drop_rate, attn_drop_rate,
                             rate) for rate in rates)
        self.norm = layer_norm(dims)
        self.apply(transformer_init)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        nn.init.trunc_normal_(self.pos_embed, std=.02)

    def forward(self, x: Tensor) -> Tensor:
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.pe_dropout(x + self.pos_embed)
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)[:, 0]
