# Copyright (c) mmkd contributors. All rights reserved.
"""PiT, the pooling-based vision transformer (Heo et al. 2021), as the CIFAR-100 student of the RKKD paper's
Table 4, with the module names of ``tiny-transformers`` (as bundled in sunshangquan/logit-standardization-KD),
whose ``{'model_state': state_dict}`` checkpoints load as-is."""
import math
from typing import Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from mmkd.registry import MODELS
from .arch import resolve_arch
from .deit import TransformerLayer, layer_norm


class PiTStage(nn.Module):
    """Transformer layers over the class token(s) followed by the flattened feature map.

    Args:
        dims (int): Channels.
        depth (int): Layers.
        num_heads (int): Attention heads.
        mlp_ratio (float): MLP hidden width over ``dims``.
        drop_rate, attn_drop_rate (float): Dropouts.
        drop_path_rates (Sequence[float]): Stochastic depth of each layer.
    """

    def __init__(self, dims: int, depth: int, num_heads: int, mlp_ratio: float, drop_rate: float,
                 attn_drop_rate: float, drop_path_rates: Sequence[float]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            TransformerLayer(dims, num_heads, mlp_ratio, True, drop_rate, attn_drop_rate, drop_path_rates[i])
            for i in range(depth))

    def forward(self, x: Tensor, cls_tokens: Tensor) -> Tuple[Tensor, Tensor]:
        """``x`` [B, C, H, W] and ``cls_tokens`` [B, T, C] -> the same, transformed."""
        batch, channels, height, width = x.shape
        num_cls = cls_tokens.shape[1]
        x = torch.cat([cls_tokens, x.flatten(2).transpose(1, 2)], dim=1)
        for block in self.blocks:
            x = block(x)
        cls_tokens, x = x[:, :num_cls], x[:, num_cls:]
        return x.transpose(1, 2).reshape(batch, channels, height, width), cls_tokens


class ConvHeadPooling(nn.Module):
    """Halve the map with a depthwise (channel multiplier out/in) strided convolution and widen the class
    token(s) with a linear ``fc``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=stride + 1, stride=stride, padding=stride // 2,
                              groups=in_channels)
        self.fc = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor, cls_tokens: Tensor) -> Tuple[Tensor, Tensor]:
        return self.conv(x), self.fc(cls_tokens)


class ConvEmbedding(nn.Module):
    """Patch embedding: one convolution (``patch_size`` kernel, ``stride``, no padding)."""

    def __init__(self, in_channels: int, out_channels: int, patch_size: int, stride: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=patch_size, stride=stride)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


def layer_norm_init(module: nn.Module) -> None:
    """PiT initialisation: LayerNorm to identity; Linear and convolution layers keep PyTorch's default."""
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


@MODELS.register_module()
class PiT(nn.Module):
    """PiT as ``tiny-transformers`` trains it on CIFAR-100 (images resized to 224): an overlapping convolutional
    patch embedding with a learnt 2-D position embedding, then transformer stages separated by pooling layers
    that halve the map and widen the tokens.

    Args:
        arch (str | dict): ``'tiny'`` (dims 64/128/256, depths 2/6/4, heads 2/4/8, MLP ratio 4, patch 16, stride
            8) or a dict with ``patch_size``, ``stride``, ``embed_dims``, ``depths``, ``num_heads`` and
            ``mlp_ratio``. Defaults to 'tiny'.
        img_size (int): Input size (square); the position embedding is built for it. Defaults to 224.
        in_channels (int): Input channels. Defaults to 3.
        drop_rate (float): Dropout after the position embedding, the attention projection and in the MLP.
            Defaults to 0.
        attn_drop_rate (float): Dropout on the attention weights. Defaults to 0.
        drop_path_rate (float): Stochastic depth; layer ``i`` of ``n`` (over all stages) gets
            ``drop_path_rate * i / n`` as in the official code (so the last one less than ``drop_path_rate``).
            Defaults to 0.1 (the official CIFAR-100 configs).

    Forward returns the class token after the final norm, [B, embed_dims[-1]]; the official classifier ``head``
    (PyTorch's default initialisation) is :class:`LinearHeadClassifier`'s ``fc`` (``head_key``).
    """
    head_key = 'head'
    #: the official ``head`` keeps PyTorch's default initialisation, as ``LinearHeadClassifier``'s ``fc`` does
    head_init_cfg = None
    arch_settings = {
        'tiny': dict(patch_size=16, stride=8, embed_dims=(64, 128, 256), depths=(2, 6, 4), num_heads=(2, 4, 8),
                     mlp_ratio=4),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 img_size: int = 224,
                 in_channels: int = 3,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.1) -> None:
        super().__init__()
        arch = resolve_arch(self, arch, ('patch_size', 'stride', 'embed_dims', 'depths', 'num_heads', 'mlp_ratio'))
        dims, depths, heads = list(arch['embed_dims']), list(arch['depths']), list(arch['num_heads'])
        if not len(dims) == len(depths) == len(heads) >= 1:
            raise ValueError('PiT: embed_dims, depths and num_heads must have the same (non-zero) length.')
        self.img_size = img_size
        self.out_channels = dims[-1]
        grid = math.floor((img_size - arch['patch_size']) / arch['stride'] + 1)
        self.pos_embed = nn.Parameter(torch.zeros(1, dims[0], grid, grid))
        self.patch_embed = ConvEmbedding(in_channels, dims[0], arch['patch_size'], arch['stride'])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims[0]))
        self.pos_drop = nn.Dropout(drop_rate)
        total, first = sum(depths), 0
        self.transformers = nn.ModuleList()
        self.pools = nn.ModuleList()
        for stage, depth in enumerate(depths):
            rates = [drop_path_rate * i / total for i in range(first, first + depth)]
            first += depth
            self.transformers.append(
                PiTStage(dims[stage], depth, heads[stage], arch['mlp_ratio'], drop_rate, attn_drop_rate, rates))
            if stage < len(depths) - 1:
                self.pools.append(ConvHeadPooling(dims[stage], dims[stage + 1], stride=2))
        self.norm = layer_norm(dims[-1])
        nn.init.trunc_normal_(self.pos_embed, std=.02)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        self.apply(layer_norm_init)

    def forward(self, x: Tensor) -> Tensor:
        x = self.pos_drop(self.patch_embed(x) + self.pos_embed)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        for stage, pool in zip(self.transformers, self.pools):
            x, cls_tokens = pool(*stage(x, cls_tokens))
        _, cls_tokens = self.transformers[-1](x, cls_tokens)
        return self.norm(cls_tokens)[:, 0]
