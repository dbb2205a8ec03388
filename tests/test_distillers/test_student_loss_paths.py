"""The distillers run the student's own loss(): inside a distiller, every student loss term equals the term of
``student.loss()`` on the same batch and seed, bit for bit, for each detector family and for classification.
The recording helper wraps one method of one instance and always restores it."""
import pytest
import torch
from mmdet.testing import demo_mm_inputs
from mmengine.structures import BaseDataElement

from mmkd.distillers.recorder import record_calls
from mmkd.registry import MODELS

NUM_CLASSES = 4
R18 = dict(backbone=dict(depth=18, init_cfg=None), neck=dict(in_channels=[64, 128, 256, 512]))
DENSE = dict(bbox_head=dict(num_classes=NUM_CLASSES))
ROI = dict(roi_head=dict(bbox_head=dict(num_classes=NUM_CLASSES)))
MASK = dict(roi_head=dict(bbox_head=dict(num_classes=NUM_CLASSES), mask_head=dict(num_classes=NUM_CLASSES)))
DETECTORS = {
    'retinanet': ('DenseHeadDistiller', 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', DENSE),
    'atss': ('DenseHeadDistiller', 'mmdet::atss/atss_r50_fpn_1x_coco.py', DENSE),
    'fcos': ('DenseHeadDistiller', 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py', DENSE),
    'faster_rcnn': ('RoIHeadDistiller', 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py', ROI),
    'mask_rcnn': ('RoIHeadDistiller', 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', MASK),
}
DISTILL = dict(loss_kd=dict(type='KDLoss', tau=1.0), loss_rkkd=dict(type='RKKDLoss'), loss_pld=dict(type='PLDLoss'))


def with_teacher(model, tmp_path):
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=model.teacher.state_dict()), path)
    model.teacher_ckpt = path
    model.init_weights()
    return model.train()


def samples(*labels):
    return [BaseDataElement(gt_label=torch.tensor([label])) for label in labels]


def as_list(value):
    return value if isinstance(value, (list, tuple)) else [value]


def assert_same_student_terms(model, data, seed=0):
    torch.manual_seed(seed)
    inside = model.loss(data['inputs'], data['data_samples'])
    torch.manual_seed(seed)
    alone = model.student.loss(data['inputs'], data['data_samples'])  # mmdet: loss(batch_inputs, batch_data_samples)
    assert set(alone) <= set(inside)
    for name, value in alone.items():
        for a, b in zip(as_list(value), as_list(inside[name])):
            assert torch.equal(a, b), name
    extra = set(inside) - set(alone)
    assert extra == set(model.distill_losses), extra
    for name in extra:
        assert torch.isfinite(inside[name]), name
    return inside


@pytest.mark.parametrize('name', list(DETECTORS))
def test_detector_student_terms_equal_student_loss(name, tmp_path):
    kind, cfg_path, head = DETECTORS[name]
    net = dict(cfg_path=cfg_path, **R18, **head)
    cfg = dict(type=kind, student=net, teacher=net, distill_losses=DISTILL)
    torch.manual_seed(0)
    model = with_teacher(MODELS.build(cfg), tmp_path)
    packed = demo_mm_inputs(batch_size=2, image_shapes=[(3, 96, 128), (3, 128, 96)], num_items=[3, 2],
                            num_classes=NUM_CLASSES, with_mask=name == 'mask_rcnn')
    data = model.data_preprocessor(packed, True)
    losses = assert_same_student_terms(model, data)
    if name == 'mask_rcnn':
        assert 'loss_mask' in losses
    # nothing of the recording is left on the heads
    heads = [model.student.bbox_head] if kind == 'DenseHeadDistiller' else [model.student.roi_head.bbox_head]
    for obj in heads:
        assert not {'forward', 'get_targets', 'loss_and_target'} & set(vars(obj))


def test_classifier_student_terms_equal_student_loss(tmp_path):
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10,
               loss_cls=dict(type='CrossEntropyLoss', loss_weight=0.1))
    cfg = dict(type='ClassificationDistiller', student=net, teacher=net, distill_losses=DISTILL)
    model = with_teacher(MODELS.build(cfg), tmp_path)
    data = dict(inputs=torch.randn(4, 3, 32, 32), data_samples=samples(1, 0, 9, 3))
    losses = assert_same_student_terms(model, data)
    assert set(losses) == {'loss_cls', 'loss_kd', 'loss_rkkd', 'loss_pld'}


def test_mlkd_runs_the_students_own_loss_on_each_view(tmp_path):
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10,
               loss_cls=dict(type='CrossEntropyLoss', loss_weight=0.1))
    model = with_teacher(MODELS.build(dict(type='MLKDDistiller', student=net, teacher=net, distill_losses=dict(
        loss_kd=dict(type='MLKDInstanceLoss'), loss_rkkd=dict(type='RKKDLoss')))), tmp_path)
    inputs, data_samples = torch.randn(4, 2, 3, 32, 32), samples(1, 0, 9, 3)
    torch.manual_seed(0)
    losses, rows = model.student_loss_and_rows(inputs, data_samples)
    weak, strong = (model.student.loss(inputs[:, v], data_samples)['loss_cls'] for v in (0, 1))
    assert torch.equal(losses['loss_cls'], weak + strong)  # CE on both views, one forward per view
    assert rows.preds_S.shape == (8, 10) and rows.labels.tolist() == [1, 0, 9, 3] * 2
    with torch.no_grad():
        torch.testing.assert_close(rows.preds_T[4:], model.teacher(inputs[:, 1]))  # weak rows first, then strong
    assert set(model.loss(inputs, data_samples)) == {'loss_cls', 'loss_kd', 'loss_rkkd'}
    with pytest.raises(ValueError, match=r'two views of each image, \[B, 2, C, H, W\]'):
        model.loss(inputs[:, 0], data_samples)


def test_dropped_student_terms_are_left_out(tmp_path):
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
    model = with_teacher(MODELS.build(dict(type='ClassificationDistiller', student=net, teacher=net,
                                           drop_student_losses=['loss_cls'],
                                           distill_losses=dict(loss_pld=dict(type='PLDLoss')))), tmp_path)
    data = dict(inputs=torch.randn(2, 3, 32, 32), data_samples=samples(1, 2))
    assert set(model.loss(**data)) == {'loss_pld'}
    model.drop_student_losses = ('loss_bbox', )
    with pytest.raises(KeyError, match=r"drop_student_losses names \['loss_bbox'\].*\['loss_cls'\]"):
        model.loss(**data)


def test_old_student_losses_key_names_the_new_way():
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
    message = r"student_losses is gone.*loss_cls=dict\(loss_weight=0.1\).*drop_student_losses"
    with pytest.raises(TypeError, match=message):
        MODELS.build(dict(type='ClassificationDistiller', student=net, teacher=net,
                          student_losses=dict(loss_cls=dict(type='CrossEntropyLoss'))))


# ---------------------------------------------------------------- the recording helper
class Adder(torch.nn.Module):

    def forward(self, x, y=1):
        return x + y


def test_record_calls_is_instance_scoped_and_restores():
    a, b = Adder(), Adder()
    with record_calls(a, 'forward') as calls:
        assert a(1, y=2) == 3 and a(5) == 6 and b(1) == 2
        assert type(a).forward is Adder.forward
    assert [c.arguments for c in calls.calls] == [dict(x=1, y=2), dict(x=5, y=1)]
    assert [c.result for c in calls.calls] == [3, 6]
    assert 'forward' not in vars(a) and a(1) == 2
    with pytest.raises(RuntimeError, match='Adder.forward was called 2 times'):
        calls.only()
    with pytest.raises(ZeroDivisionError):
        with record_calls(a, 'forward'):
            1 / 0
    assert 'forward' not in vars(a)


def test_record_calls_nests_and_keeps_an_instance_attribute():
    a = Adder()
    own = a.forward
    object.__setattr__(a, 'forward', own)  # something else set it on the instance before
    with record_calls(a, 'forward') as outer, record_calls(a, 'forward') as inner:
        a(2)
    assert len(outer.calls) == len(inner.calls) == 1
    assert outer.calls[0].arguments == inner.calls[0].arguments == dict(x=2, y=1)  # the method's own names
    assert vars(a)['forward'] is own
