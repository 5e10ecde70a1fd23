"""ssnn_core: a super simple neural network, from scratch in NumPy, that tells two MNIST digits apart.

Shapes follow the article everywhere: X (n0, m) one column per sample, Y (1, m),
W1 (n1, n0), b1 (n1, 1), W2 (1, n1), b2 (1, 1); see network.py.

    from ssnn_core import Hyper, Trainer, load_mnist, select_digits
    pair = select_digits(load_mnist("mnist.npz"), (0, 1))
    trainer = Trainer(pair, Hyper())
    trainer.run()                      # 500 iterations; run(n) advances by n and can be called again
    trainer.history.train_cost[-1]     # ~0.000849

Other data sets in MNIST's format (DATASETS: Fashion-MNIST, Kuzushiji-MNIST, EMNIST digits) load the same way,
named by load_mnist(path, dataset="fashion") or recognised from their file and folder names (datasets.py).
"""

__version__ = "0.1.0"

from .config import ConfigError, DataError, Hyper, ImageError, ModelFileError, SsnnError
from .data import Mnist, PairData, load_mnist, select_digits
from .datasets import KNOWN as DATASETS
from .datasets import DatasetInfo
from .history import History
from .inspect import Evaluation, Explanation, evaluate, explain, gradient_check
from .model_io import Model, load_model, save_model
from .network import backward, forward, init_params, predict, predict_proba
from .scaling import Standardiser
from .trainer import Trainer

__all__ = [
    "DATASETS", "ConfigError", "DataError", "DatasetInfo", "Evaluation", "Explanation", "History", "Hyper",
    "ImageError", "Mnist", "Model", "ModelFileError", "PairData", "SsnnError", "Standardiser", "Trainer", "backward",
    "evaluate", "explain", "forward", "gradient_check", "init_params", "load_mnist", "load_model", "predict",
    "predict_proba", "save_model", "select_digits",
]
