# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric

from mmkd.registry import METRICS


@METRICS.register_module()
class TopKAccuracy(BaseMetric):
    """Top-k accuracy (in percent) of ``pred_score`` against ``gt_label``.

    Reports ``accuracy/top1``, ``accuracy/top5``, ... (k larger than the number of classes is skipped).

    Args:
        topk (int | Sequence[int]): The k values. Defaults to (1, 5).
        collect_device (str): 'cpu' or 'gpu' for collecting results across processes.
        prefix (str): Metric name prefix. Defaults to 'accuracy'.
    """
    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Sequence[int]] = (1, 5), collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            # BaseDataElement and dict both have .get
            self.results.append(
                dict(score=sample.get('pred_score').cpu(), label=int(torch.as_tensor(sample.get('gt_label')))))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        scores = torch.stack([r['score'] for r in results])
        labels = torch.tensor([r['label'] for r in results])
        metrics = {}
        for k in self.topk:
            if k > scores.size(1):
                continue
            hit = (scores.topk(k, dim=1).indices == labels[:, None]).any(1)
            metrics[f'top{k}'] = hit.float().mean().item() * 100
        return metrics
