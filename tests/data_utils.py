"""Tiny datasets in the official on-disk formats, written by the tests themselves."""
import gzip
import os
import os.path as osp
import pickle
import struct

import numpy as np


def write_cifar100(root: str, num_train: int = 200, num_test: int = 100, seed: int = 0) -> str:
    """``root/cifar-100-python/{train,test,meta}`` pickles (the official layout), class-dependent images."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    for name, num in (('train', num_train), ('test', num_test)):
        labels = rng.integers(0, 100, size=num)
        base = (labels[:, None] * 2.5).astype(np.float64)  # the mean colour encodes the class
        data = (rng.normal(0, 20, size=(num, 3072)) + base).clip(0, 255).astype(np.uint8)
        entry = {b'filenames': [f'{i}.png'.encode() for i in range(num)], b'batch_label': name.encode(),
                 b'fine_labels': labels.tolist(), b'coarse_labels': (labels // 5).tolist(), b'data': data}
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(entry, f)
    meta = {b'fine_label_names': [f'class_{i}'.encode() for i in range(100)],
            b'coarse_label_names': [f'super_{i}'.encode() for i in range(20)]}
    with open(osp.join(folder, 'meta'), 'wb') as f:
        pickle.dump(meta, f)
    return root


def write_fashion_mnist(root: str, num_train: int = 60, num_test: int = 20, seed: int = 0) -> str:
    """The four official IDX ``.gz`` files."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    for prefix, num in (('train', num_train), ('t10k', num_test)):
        labels = rng.integers(0, 10, size=num).astype(np.uint8)
        images = rng.integers(0, 256, size=(num, 28, 28)).astype(np.uint8)
        with gzip.open(osp.join(root, f'{prefix}-images-idx3-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>IIII', 0x803, num, 28, 28) + images.tobytes())
        with gzip.open(osp.join(root, f'{prefix}-labels-idx1-ubyte.gz'), 'wb') as f:
            f.write(struct.pack('>II', 0x801, num) + labels.tobytes())
    return root
