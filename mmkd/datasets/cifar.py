# Copyright (c) mmkd contributors. All rights reserved.
"""CIFAR-10 / CIFAR-100 from the official python pickles (``cifar-10-batches-py``, ``cifar-100-python``)."""
import os.path as osp
import pickle
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS


@DATASETS.register_module()
class CIFAR10Dataset(BaseDataset):
    """CIFAR-10 read from ``data_root/cifar-10-batches-py`` (as extracted from the official archive).

    Images are RGB uint8 arrays [32, 32, 3] in ``results['img']``; labels in ``results['gt_label']``.

    Args:
        data_root (str): Folder that contains the extracted archive folder.
        split (str): 'train' or 'test'. Defaults to 'train'.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset` (pipeline, indices, ...).
    """
    base_folder = 'cifar-10-batches-py'
    train_files = [f'data_batch_{i}' for i in range(1, 6)]
    test_files = ['test_batch']
    meta_file, meta_key, label_key = 'batches.meta', 'label_names', b'labels'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'

    def __init__(self, data_root: str = 'data/cifar10', split: str = 'train', **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"{type(self).__name__}: split must be 'train' or 'test', got {split!r}.")
        self.split = split
        super().__init__(data_root=data_root, test_mode=split == 'test', **kwargs)

    def _read(self, name: str) -> dict:
        with open(osp.join(self.data_root, self.base_folder, name), 'rb') as f:
            return pickle.load(f, encoding='bytes')

    def load_data_list(self) -> List[dict]:
        files = self.train_files if self.split == 'train' else self.test_files
        folder = osp.join(self.data_root, self.base_folder)
        missing = [f for f in files + [self.meta_file] if not osp.isfile(osp.join(folder, f))]
        if missing:
            raise FileNotFoundError(
                f'{type(self).__name__}: missing {missing} in {folder}. Download {self.url} and extract it into '
                f'{self.data_root} (it creates {self.base_folder}/), or set data_root.')
        meta = self._read(self.meta_file)
        self._metainfo['classes'] = tuple(n.decode() for n in meta[self.meta_key.encode()])
        data_list = []
        for name in files:
            entry = self._read(name)
            images = np.asarray(entry[b'data'], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            for img, label in zip(images, entry[self.label_key]):
                data_list.append(dict(img=np.ascontiguousarray(img), gt_label=int(label)))
        return data_list


@DATASETS.register_module()
class CIFAR100Dataset(CIFAR10Dataset):
    """CIFAR-100 (fine labels) read from ``data_root/cifar-100-python/{train,test,meta}``."""
    base_folder = 'cifar-100-python'
    train_files = ['train']
    test_files = ['test']
    meta_file, meta_key, label_key = 'meta', 'fine_label_names', b'fine_labels'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
