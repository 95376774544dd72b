"""``kerax.preprocessing.image``: the image helpers under Keras 3's names (Pillow
needed for files: ``pip install kerax[image]``)."""

from kerax.utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
