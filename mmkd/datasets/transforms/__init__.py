from .crop import InceptionCrop, RandomCropPad
from .formatting import PackClsInputs
from .rand_augment import FixMatchRandAugment
from .resize import ResizeShortEdge
from .views import StackViews

__all__ = ['PackClsInputs', 'RandomCropPad', 'InceptionCrop', 'ResizeShortEdge', 'FixMatchRandAugment', 'StackViews']
