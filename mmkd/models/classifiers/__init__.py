from .image_classifier import ImageClassifier, stack_labels

__all__ = ['ImageClassifier', 'stack_labels']
