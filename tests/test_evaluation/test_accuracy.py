"""Top-k accuracy against a hand computation."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import BaseDataElement

from mmkd.evaluation import TopKAccuracy
from mmkd.registry import METRICS

# 5 samples, 6 classes; the rank of the true class (1 = highest score) is 1, 2, 6, 5, 3
SCORES = torch.tensor([
    [0.50, 0.10, 0.10, 0.10, 0.10, 0.10],  # label 0 (0.50): rank 1
    [0.30, 0.40, 0.10, 0.10, 0.05, 0.05],  # label 0 (0.30): rank 2
    [0.30, 0.20, 0.20, 0.15, 0.10, 0.05],  # label 5 (0.05): rank 6
    [0.30, 0.05, 0.20, 0.15, 0.17, 0.13],  # label 5 (0.13): rank 5
    [0.10, 0.30, 0.25, 0.20, 0.10, 0.05],  # label 3 (0.20): rank 3
])
LABELS = [0, 0, 5, 5, 3]
# top-1: sample 0 -> 1/5 = 20 %; top-2: 0, 1 -> 40 %; top-3: + 4 -> 60 %; top-5: + 3 -> 80 %
EXPECTED = {'accuracy/top1': 20.0, 'accuracy/top2': 40.0, 'accuracy/top3': 60.0, 'accuracy/top5': 80.0}


def samples():
    return [BaseDataElement(pred_score=s, gt_label=torch.tensor([label])) for s, label in zip(SCORES, LABELS)]


def test_hand_computed_topk():
    ranks = [int((SCORES[i] > SCORES[i, label]).sum()) + 1 for i, label in enumerate(LABELS)]
    assert ranks == [1, 2, 6, 5, 3]
    evaluator = Evaluator(METRICS.build(dict(type='TopKAccuracy', topk=(1, 2, 3, 5))))
    evaluator.process(samples()[:2])  # two batches
    evaluator.process(samples()[2:])
    metrics = evaluator.evaluate(5)
    assert metrics == pytest.approx(EXPECTED)


def test_dict_samples_int_topk_and_large_k():
    metric = TopKAccuracy(topk=1)
    metric.process({}, [dict(pred_score=s, gt_label=label) for s, label in zip(SCORES, LABELS)])
    assert metric.evaluate(5) == pytest.approx({'accuracy/top1': 20.0})
    metric = TopKAccuracy(topk=(1, 6, 10), prefix='val')  # k > 6 classes is skipped, k = C is always a hit
    metric.process({}, samples())
    assert metric.evaluate(5) == pytest.approx({'val/top1': 20.0, 'val/top6': 100.0})


def test_matches_classifier_predictions():
    from mmkd.models.classifiers import LinearHeadClassifier
    logits = torch.randn(40, 10, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 10, (40, ), generator=torch.Generator().manual_seed(1))
    preds = LinearHeadClassifier.predict_by_logits(logits, [BaseDataElement(gt_label=lb.reshape(1)) for lb in labels])
    metric = TopKAccuracy(topk=(1, 5))
    metric.process({}, preds)
    top5 = logits.topk(5, 1).indices
    assert metric.evaluate(40) == pytest.approx({
        'accuracy/top1': (logits.argmax(1) == labels).float().mean().item() * 100,
        'accuracy/top5': (top5 == labels[:, None]).any(1).float().mean().item() * 100})
