# Copyright (c) mmkd contributors. All rights reserved.
"""Fashion-MNIST (Xiao et al. 2017) from the official IDX ``.gz`` files."""
import gzip
import os.path as osp
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS

CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
           'Ankle boot')


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzipped): big-endian header, then uint8 data."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic = int.from_bytes(data[:4], 'big')
    if magic >> 8 != 0x08:  # 0x00000801 labels, 0x00000803 images: unsigned byte data
        raise ValueError(f'{path} is not an unsigned-byte IDX file (magic {magic:#010x}).')
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f'{path} is truncated: header says {shape}, found {array.size} values.')
    return array.reshape(shape)


@DATASETS.register_module()
class FashionMNISTDataset(BaseDataset):
    """Fashion-MNIST: 60k train / 10k test grey 28x28 images, 10 classes.

    The default ``data_root`` is where the Debian package ``dataset-fashion-mnist`` installs the files.

    Args:
        data_root (str): Folder with ``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``.
        split (str): 'train' or 'test'. Defaults to 'train'.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """
    METAINFO = dict(classes=CLASSES)

    def __init__(self, data_root: str = '/usr/share/datasets/fashion-mnist', split: str = 'train',
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"FashionMNISTDataset: split must be 'train' or 'test', got {split!r}.")
        self.split = split
        super().__init__(data_root=data_root, test_mode=split == 'test', **kwargs)

    def load_data_list(self) -> List[dict]:
        prefix = 'train' if self.split == 'train' else 't10k'
        paths = [osp.join(self.data_root, f'{prefix}-{kind}-ubyte.gz') for kind in ('images-idx3', 'labels-idx1')]
        missing = [p for p in paths if not osp.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f'FashionMNISTDataset: missing {missing}. Install the Debian package dataset-fashion-mnist '
                '(files in /usr/share/datasets/fashion-mnist) or set data_root to a folder with the official '
                'IDX .gz files.')
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if len(images) != len(labels):
            raise ValueError(f'FashionMNISTDataset: {len(images)} images but {len(labels)} labels in {self.data_root}.')
        return [dict(img=img[..., None], gt_label=int(label)) for img, label in zip(images, labels)]
