"""Command line: `python -m ssnn_core train|predict|gradcheck|bench ...`.

Exit status 0 on success, 2 for usage errors, 1 for runtime errors; errors are one `error: ...` line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .config import DTYPES, SCALINGS, ConfigError, Hyper, SsnnError
from .data import load_mnist, select_digits
from .datasets import KNOWN
from .inspect import GRADCHECK_TOLERANCE, evaluate, gradient_check
from .model_io import Model, check_writable, load_model, save_model
from .network import n_params
from .trainer import Trainer

SCALING_NOTES = {
    "safe": "safe (pixels blank in every training image get scale 1, like scikit-learn's StandardScaler)",
    "seed": "seed (the article's std + 1e-9: ink on a pixel blank in training is multiplied by ~1e9)",
}


GRADCHECK_MAX_CHECKS = 10_000  # each check is two cost evaluations; more is a typo


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(message)


def _positive_int(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _add_data(p):
    p.add_argument("--data", metavar="PATH",
                   help="mnist.npz (Keras layout) or a folder of the four IDX files (or of Kuzushiji-MNIST's four "
                        "kmnist-*.npz); default: $SSNN_MNIST, then Keras' cache, then Keras, then a download")
    p.add_argument("--dataset", choices=tuple(KNOWN), default=None,
                   help="the data set the files hold (its class names; EMNIST's images are turned upright); "
                        "default: $SSNN_DATASET, else recognised from the file or folder name, else mnist")


def _say_dataset(name: str, classes, out) -> None:
    """A data set other than MNIST names itself and the two classes told apart: 'Fashion-MNIST: T-shirt/top
    vs Trouser' (MNIST's output stays as it always was)."""
    if name != "MNIST":
        out(f"{name}: {classes[0]} vs {classes[1]}")


def _add_hyper(p):
    d = Hyper()
    p.add_argument("--digits", nargs=2, type=_positive_int, metavar=("A", "B"), default=list(d.digits),
                   help="the two digits to tell apart; B is the positive class (default 0 1)")
    p.add_argument("--hidden", type=_positive_int, default=d.hidden, help="hidden neurons n1, 1-300 (default 10)")
    p.add_argument("--learning-rate", type=_number, default=d.learning_rate, help="default 0.5")
    p.add_argument("--iterations", type=_positive_int, default=d.iterations, help="default 500")
    p.add_argument("--seed", type=_positive_int, default=d.seed, help="default 561, the article's")
    p.add_argument("--dtype", choices=DTYPES, default=d.dtype, help="default float32")
    p.add_argument("--scaling", choices=SCALINGS, default=d.scaling,
                   help="safe (default) or seed, the article's std + 1e-9")


def build_parser() -> Parser:
    called = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    prog = "ssnn" if called == "ssnn" else "python -m ssnn_core"   # the installed command, or the module
    parser = Parser(prog=prog, description="ssnn: a from-scratch NumPy network that tells two MNIST digits apart.")
    parser.add_argument("--version", action="version", version=f"ssnn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("train", help="train on MNIST and report test errors")
    _add_data(p)
    _add_hyper(p)
    p.add_argument("--save", metavar="MODEL.npz", help="write the trained model here")
    p.add_argument("--json", action="store_true", help="end with one JSON line of results")

    p = sub.add_parser("predict", help="classify image files with a saved model")
    p.add_argument("model", help="a model saved with train --save")
    p.add_argument("images", nargs="+", help="PNG/JPEG images of one digit each")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("gradcheck", help="compare backprop with numerical gradients")
    _add_data(p)
    p.add_argument("--hidden", type=_positive_int, default=10)
    p.add_argument("--samples", type=_positive_int, default=200, help="training images used (default 200)")
    p.add_argument("--checks", type=_positive_int, default=30, help="parameters checked (default 30)")
    p.add_argument("--seed", type=_positive_int, default=561)

    p = sub.add_parser("bench", help="time the trainer against the article's plain loop")
    _add_data(p)
    p.add_argument("--hidden", type=_positive_int, nargs="+", default=[10, 300])
    p.add_argument("--iterations", type=_positive_int, default=None,
                   help="iterations timed per run (default: 40 at n1=10, 8 at n1=300)")
    return parser


def _hyper(args) -> Hyper:
    return Hyper(digits=tuple(args.digits), hidden=args.hidden, learning_rate=args.learning_rate,
                 iterations=args.iterations, seed=args.seed, dtype=args.dtype, scaling=args.scaling)


def cmd_train(args, out) -> int:
    hyper = _hyper(args)
    if args.save:
        check_writable(args.save)
    pair = select_digits(load_mnist(args.data, dataset=args.dataset), hyper.digits)
    a, b = pair.classes   # for digits, the digits themselves
    out(f"ssnn: training 784 -> {hyper.hidden} -> 1 ({n_params(hyper.hidden)} parameters) to tell {a} from {b}")
    _say_dataset(pair.dataset, pair.classes, out)
    out(f"data: {pair.source}: {len(pair.y_train)} training and {len(pair.y_test)} test images")
    out(f"learning rate: {hyper.learning_rate:f}")
    out(f"iterations: {hyper.iterations:d}")
    out(f"neurons in hidden layer: {hyper.hidden:d}")
    out(f"seed: {hyper.seed}  dtype: {hyper.dtype}")
    out(f"scaling: {SCALING_NOTES[hyper.scaling]}")
    trainer = Trainer(pair, hyper, eval_every=hyper.iterations)
    every = max(1, hyper.iterations // 20)
    last = [float("inf")]

    def report(t):
        if t.iteration % every == 0:
            cost = t.history.train_cost[-1]
            out(f"iteration: {t.iteration:5d}, cost: {cost:f}, previous: {last[0]:f}, reduced by: {last[0] - cost:f}")
            last[0] = cost

    trainer.run(callback=report)
    if trainer.diverged:
        raise trainer.stopped
    params = trainer.current_params()
    result = evaluate(params, trainer.X_test, pair.y_test)
    for index in result.misclassified:
        out(f"failed to recognize: {index}")
    out(f"total test set: {len(pair.y_test)}, errors: {result.errors}, error rate: {result.error_rate:.6f}")
    out(f"training time: {trainer.train_seconds:.2f} s "
        f"({trainer.train_seconds / hyper.iterations * 1000:.2f} ms per iteration)")
    if args.save:
        path = save_model(Model(params, trainer.scaler, hyper, trainer.iteration), args.save)
        out(f"model saved to {path}")
    if args.json:
        summary = {**hyper.to_dict(), "final_cost": trainer.history.train_cost[-1],
                   "train_size": int(len(pair.y_train)), "test_size": int(len(pair.y_test)),
                   "errors": result.errors, "error_rate": result.error_rate,
                   "misclassified": [int(i) for i in result.misclassified],
                   "train_seconds": round(trainer.train_seconds, 4), "data_source": pair.source,
                   "dataset": pair.dataset, "classes": list(pair.classes)}
        out(json.dumps(summary))
    return 0


def cmd_predict(args, out) -> int:
    from .images import load_image  # Pillow is only needed here

    model = load_model(args.model)
    a, b = model.hyper.digits
    rows = []
    for name in args.images:
        prepared = load_image(name)
        if prepared.empty:
            rows.append({"image": name, "digit": None, "probability": None})
            out(f"{name}: no ink found, nothing to classify")
            continue
        X = model.scaler.transform(prepared.pixels.reshape(1, -1), model.params["W1"].dtype)
        with np.errstate(over="ignore"):
            p = float(evaluate(model.params, X, np.zeros(1)).proba[0])
        digit = b if p > 0.5 else a
        rows.append({"image": name, "digit": digit, "probability": p})
        out(f"{name}: {digit} (P({b}) = {p:.4f})")
    if args.json:
        out(json.dumps(rows))
    return 0


def cmd_gradcheck(args, out) -> int:
    from .network import init_params
    from .scaling import Standardiser

    Hyper(hidden=args.hidden, seed=args.seed)  # validates, before the data is read
    for name, value, most in (("samples", args.samples, 100_000), ("checks", args.checks, GRADCHECK_MAX_CHECKS)):
        if not 1 <= value <= most:  # 0 samples has no cost; 0 checks used to be blamed on relu's kink
            raise ConfigError("{name} must be in 1..{most}, got {value}", name=name, most=most, value=value)
    pair = select_digits(load_mnist(args.data, dataset=args.dataset))
    _say_dataset(pair.dataset, pair.classes, out)
    m = min(args.samples, len(pair.y_train))
    scaler = Standardiser.fit(pair.x_train)
    X = scaler.transform(pair.x_train[:m])
    params = init_params(args.hidden, args.seed, dtype=np.float64)
    results = gradient_check(params, X, pair.y_train[:m], n_checks=args.checks)
    for r in results:
        note = "  (crosses relu's kink at 0: not counted)" if r["kink"] else ""
        out(f"{r['name']}{list(r['index'])}: backprop {r['analytic']: .6e}  numeric {r['numeric']: .6e}  "
            f"relative error {r['relative_error']:.2e}{note}")
    counted = [r["relative_error"] for r in results if not r["kink"]]
    if not counted:
        raise SsnnError("every checked parameter sat on a relu kink; try another --seed or more --checks")
    worst = max(counted)
    ok = worst < GRADCHECK_TOLERANCE
    out(f"worst relative error {worst:.2e} over {len(counted)} parameters: {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


def cmd_bench(args, out) -> int:
    from .bench import run_bench

    for h in args.hidden:
        Hyper(hidden=h)  # validates
    mnist = load_mnist(args.data, dataset=args.dataset)
    _say_dataset(mnist.name, mnist.classes, out)
    run_bench(mnist, hiddens=args.hidden, iterations=args.iterations, out=out)
    return 0


COMMANDS = {"train": cmd_train, "predict": cmd_predict, "gradcheck": cmd_gradcheck, "bench": cmd_bench}


def main(argv=None) -> int:
    def out(line):
        try:
            print(line, flush=True)
        except UnicodeEncodeError:  # a console that cannot show a class name (Kuzushiji-MNIST's kana)
            encoding = sys.stdout.encoding or "ascii"
            print(line.encode(encoding, "backslashreplace").decode(encoding), flush=True)

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, out)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SsnnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
        return 1
    except Exception as exc:  # a user never sees a traceback; SSNN_DEBUG=1 shows it
        if os.environ.get("SSNN_DEBUG"):
            raise
        print(f"error: unexpected {exc.__class__.__name__}: {exc} (set SSNN_DEBUG=1 for details)", file=sys.stderr)
        return 1
