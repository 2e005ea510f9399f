"""ImageFolder data sets (``<root>/{train,val}/<class>/*.jpg``) and the shared preprocessing."""
import os

import paddle
from paddle.vision import transforms as T
from paddle.vision.datasets import DatasetFolder

from . import UserError

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def eval_transform(img_size):
    """Resize the short side to img_size/0.875, centre-crop, normalize: used by eval AND inference."""
    return T.Compose([
        T.Resize(int(round(img_size / 0.875))),
        T.CenterCrop(img_size),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def train_transform(img_size):
    return T.Compose([
        T.RandomResizedCrop(img_size),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def image_folder(data_path, split, img_size):
    """The ``split`` folder of an ImageFolder data set, with a message that says what is wrong."""
    root = os.path.join(data_path, split)
    if not os.path.isdir(root):
        raise UserError(
            f"data set folder {root!r} not found: expected {data_path}/{split}/<class>/*.jpg "
            "(run `bash test_tipc/prepare.sh <config> lite_train_lite_infer` to build lite_data)")
    classes = sorted(d.name for d in os.scandir(root) if d.is_dir())
    if not classes:
        raise UserError(f"no class folders in {root!r}: expected {root}/<class>/*.jpg")
    for name in classes:
        folder = os.path.join(root, name)
        if not any(f.lower().endswith(IMAGE_EXTENSIONS) for f in os.listdir(folder)):
            raise UserError(f"class folder {folder!r} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
    transform = train_transform(img_size) if split == "train" else eval_transform(img_size)
    return DatasetFolder(root, transform=transform, extensions=IMAGE_EXTENSIONS)


def loader(dataset, batch_size, shuffle, workers, distributed):
    """A DataLoader whose sampler shards the data over the processes of a distributed launch."""
    if distributed:
        sampler = paddle.io.DistributedBatchSampler(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=False)
    else:
        sampler = paddle.io.BatchSampler(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=False)
    return paddle.io.DataLoader(dataset, batch_sampler=sampler, num_workers=workers)
