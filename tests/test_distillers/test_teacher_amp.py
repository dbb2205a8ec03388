"""``teacher_amp``: the teacher's forward under autocast (bfloat16 on the CPU), its logits cast to float32 before
any loss; off by default."""
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmkd.registry import MODELS
from .test_detection_distillers import batch, build_dense


def classification(teacher_amp):
    net = dict(type='LinearHeadClassifier', backbone=dict(type='CifarResNet', arch='resnet8'), num_classes=10)
    model = MODELS.build(
        dict(type='ClassificationDistiller', student=net, teacher=net, teacher_amp=teacher_amp,
             data_preprocessor=dict(type='ImgDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3),
             distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4.0))))
    model.teacher_loaded = True
    return model


def run(model):
    """(dtype of the teacher's first convolution output, logits the loss gets for the teacher)."""
    torch.manual_seed(0)
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8) for _ in range(4)],
             data_samples=[BaseDataElement(gt_label=torch.tensor([i])) for i in range(4)]), True)
    conv_dtypes, seen = [], {}
    model.teacher.backbone.conv1.register_forward_hook(lambda m, i, o: conv_dtypes.append(o.dtype))
    loss = model.distill_losses['loss_kd']
    handle = loss.register_forward_pre_hook(lambda m, args: seen.update(teacher=args[1]))
    model.loss(**data)
    handle.remove()
    return conv_dtypes[0], seen['teacher']


@pytest.mark.parametrize('setting', [True, 'bfloat16'])
def test_teacher_runs_in_bfloat16_and_hands_over_float32(setting):
    model = classification(setting)
    amp_dtype, amp_logits = run(model)
    ref = classification(False)
    ref.teacher.load_state_dict(model.teacher.state_dict())
    fp32_dtype, fp32_logits = run(ref)
    assert amp_dtype == torch.bfloat16 and fp32_dtype == torch.float32
    assert amp_logits.dtype == torch.float32 == fp32_logits.dtype
    # bfloat16 keeps 8 bits of mantissa: the logits agree to a few percent of their scale
    assert (amp_logits - fp32_logits).abs().max() <= 0.05 * fp32_logits.abs().max()
    assert not torch.equal(amp_logits, fp32_logits)


def test_dense_head_teacher_logits_are_float32(tmp_path):
    model = build_dense(tmp_path, teacher_amp=True)
    seen = {}
    loss = model.distill_losses['loss_kd']
    loss.register_forward_pre_hook(lambda m, args: seen.update(teacher=args[1]))
    model.loss(**batch(model, 4))
    assert seen['teacher'].dtype == torch.float32


def test_bad_setting():
    with pytest.raises(ValueError, match="teacher_amp must be False, True, 'bfloat16' or 'float16'"):
        classification('fp8')
