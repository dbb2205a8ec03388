"""Fashion-MNIST from the official IDX .gz files."""
import gzip
import os.path as osp
import struct

import numpy as np
import pytest

from mmkd.datasets import FashionMNISTDataset
from mmkd.datasets.fashion_mnist import CLASSES, read_idx
from tests.data_utils import write_fashion_mnist


def read_gz(path: str, header: int) -> np.ndarray:
    with gzip.open(path, 'rb') as f:
        return np.frombuffer(f.read()[header:], dtype=np.uint8)


@pytest.mark.parametrize('split,prefix,num', [('train', 'train', 6), ('test', 't10k', 3)])
def test_reads_idx_files(tmp_path, split, prefix, num):
    root = write_fashion_mnist(str(tmp_path), num_train=6, num_test=3)
    dataset = FashionMNISTDataset(data_root=root, split=split)
    images = read_gz(osp.join(root, f'{prefix}-images-idx3-ubyte.gz'), 16).reshape(num, 28, 28)
    labels = read_gz(osp.join(root, f'{prefix}-labels-idx1-ubyte.gz'), 8)
    assert len(dataset) == num
    assert dataset.metainfo['classes'] == CLASSES and len(CLASSES) == 10
    for i in range(num):
        info = dataset.get_data_info(i)
        assert info['img'].shape == (28, 28, 1) and info['img'].dtype == np.uint8
        np.testing.assert_array_equal(info['img'][..., 0], images[i])
        assert info['gt_label'] == labels[i]


def test_pipeline_packs_one_channel(tmp_path):
    root = write_fashion_mnist(str(tmp_path), num_train=2, num_test=2)
    item = FashionMNISTDataset(data_root=root, split='test', pipeline=[dict(type='PackClsInputs')])[1]
    assert item['inputs'].shape == (1, 28, 28)


def test_truncated_file(tmp_path):
    root = write_fashion_mnist(str(tmp_path), num_train=4, num_test=2)
    path = osp.join(root, 'train-images-idx3-ubyte.gz')
    with gzip.open(path, 'rb') as f:
        data = f.read()
    with gzip.open(path, 'wb') as f:
        f.write(data[:-100])
    with pytest.raises(ValueError, match='truncated'):
        FashionMNISTDataset(data_root=root, split='train')


def test_not_an_idx_file(tmp_path):
    path = str(tmp_path / 'x-ubyte.gz')
    with gzip.open(path, 'wb') as f:
        f.write(struct.pack('>II', 0xD03, 1) + b'\0' * 8)  # 0x0D: float data
    with pytest.raises(ValueError, match='not an unsigned-byte IDX'):
        read_idx(path)


def test_label_count_mismatch(tmp_path):
    root = write_fashion_mnist(str(tmp_path), num_train=4, num_test=2)
    with gzip.open(osp.join(root, 'train-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(struct.pack('>II', 0x801, 3) + bytes(3))
    with pytest.raises(ValueError, match='4 images but 3 labels'):
        FashionMNISTDataset(data_root=root, split='train')


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        FashionMNISTDataset(data_root=str(tmp_path), split='test')
    assert 't10k-images-idx3-ubyte.gz' in str(info.value) and 't10k-labels-idx1-ubyte.gz' in str(info.value)
