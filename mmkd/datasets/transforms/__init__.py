from .crop import InceptionCrop, RandomCropPad
from .formatting import PackClsInputs
from .resize import ResizeShortEdge

__all__ = ['PackClsInputs', 'RandomCropPad', 'InceptionCrop', 'ResizeShortEdge']
