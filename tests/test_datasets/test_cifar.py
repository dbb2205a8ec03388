"""CIFAR-10 / CIFAR-100 from tiny pickles in the official layout."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from mmkd.datasets import CIFAR10Dataset, CIFAR100Dataset
from tests.data_utils import write_cifar100


def write_cifar10(root: str, per_batch: int = 4, seed: int = 0) -> dict:
    """``root/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}``; returns the entries written."""
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    entries = {}
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        entry = {b'batch_label': name.encode(), b'labels': rng.integers(0, 10, size=per_batch).tolist(),
                 b'data': rng.integers(0, 256, size=(per_batch, 3072)).astype(np.uint8),
                 b'filenames': [f'{name}_{i}.png'.encode() for i in range(per_batch)]}
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(entry, f)
        entries[name] = entry
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({b'label_names': [f'c{i}'.encode() for i in range(10)], b'num_cases_per_batch': per_batch}, f)
    return entries


def read(path: str) -> dict:
    with open(path, 'rb') as f:
        return pickle.load(f, encoding='bytes')


@pytest.mark.parametrize('split,num', [('train', 12), ('test', 5)])
def test_cifar100_reads_official_pickles(tmp_path, split, num):
    write_cifar100(str(tmp_path), num_train=12, num_test=5)
    dataset = CIFAR100Dataset(data_root=str(tmp_path), split=split)
    entry = read(str(tmp_path / 'cifar-100-python' / split))
    assert len(dataset) == num
    assert dataset.metainfo['classes'] == tuple(f'class_{i}' for i in range(100))
    assert dataset.test_mode == (split == 'test')
    for i in range(num):
        info = dataset.get_data_info(i)
        assert info['img'].shape == (32, 32, 3) and info['img'].dtype == np.uint8
        # rows are 1024 R, then 1024 G, then 1024 B values, each row-major
        np.testing.assert_array_equal(info['img'], entry[b'data'][i].reshape(3, 32, 32).transpose(1, 2, 0))
        assert info['gt_label'] == entry[b'fine_labels'][i]


def test_cifar10_reads_all_five_train_batches(tmp_path):
    entries = write_cifar10(str(tmp_path))
    train = CIFAR10Dataset(data_root=str(tmp_path), split='train')
    test = CIFAR10Dataset(data_root=str(tmp_path), split='test')
    assert len(train) == 20 and len(test) == 4
    assert train.metainfo['classes'] == tuple(f'c{i}' for i in range(10))
    labels = sum((entries[f'data_batch_{i}'][b'labels'] for i in range(1, 6)), [])
    assert [train.get_data_info(i)['gt_label'] for i in range(20)] == labels
    np.testing.assert_array_equal(train.get_data_info(4)['img'],
                                  entries['data_batch_2'][b'data'][0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert [test.get_data_info(i)['gt_label'] for i in range(4)] == entries['test_batch'][b'labels']


def test_cifar_pipeline_output(tmp_path):
    write_cifar100(str(tmp_path), num_train=4, num_test=2)
    dataset = CIFAR100Dataset(data_root=str(tmp_path), split='train',
                              pipeline=[dict(type='RandomCropPad', size=32, padding=4), dict(type='PackClsInputs')])
    item = dataset[0]
    assert item['inputs'].shape == (3, 32, 32)
    assert item['data_samples'].gt_label.tolist() == [dataset.get_data_info(0)['gt_label']]


@pytest.mark.parametrize('cls,folder,files', [
    (CIFAR100Dataset, 'cifar-100-python', ['train', 'meta']),
    (CIFAR10Dataset, 'cifar-10-batches-py', ['data_batch_1', 'data_batch_5', 'batches.meta']),
])
def test_missing_files_are_named(tmp_path, cls, folder, files):
    with pytest.raises(FileNotFoundError) as info:
        cls(data_root=str(tmp_path), split='train')
    message = str(info.value)
    assert osp.join(str(tmp_path), folder) in message and cls.url in message
    for name in files:
        assert repr(name) in message


def test_only_the_missing_meta_is_named(tmp_path):
    write_cifar100(str(tmp_path), num_train=2, num_test=2)
    os.remove(tmp_path / 'cifar-100-python' / 'meta')
    with pytest.raises(FileNotFoundError, match=r"missing \['meta'\]"):
        CIFAR100Dataset(data_root=str(tmp_path), split='test')


def test_bad_split(tmp_path):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        CIFAR100Dataset(data_root=str(tmp_path), split='val')
