"""The int8 ONNX export of the shipped model against the model itself on PyTorch."""

import numpy as np
import pytest

from kmsearch.config import Settings
from kmsearch.index import onnxmodel
from kmsearch.index.embedder import MODEL_NAME, Embedder, get_embedder

TEXTS = [
    "Hydrogen trucks along the Trans-European corridor, sponsored by an energy company.",
    "A mobile operator shared anonymised phone data for tourism statistics.",
    "Lessons: agree the use of logos before printing anything.",
    "short",
]


def test_the_onnx_backend_is_named_apart_from_torch():
    assert onnxmodel.available()
    assert Settings.from_env({"KMSEARCH_EMBED_BACKEND": "onnx"}).embed_backend == "onnx"
    assert Embedder(backend="onnx").backend == "onnx"
    assert Embedder(backend="onnx").name != Embedder(backend="torch").name == MODEL_NAME


@pytest.mark.model
def test_int8_onnx_vectors_are_the_torch_models_to_within_quantisation():
    onnx, torch = Embedder(backend="onnx"), get_embedder()
    a, b = onnx.embed(TEXTS), torch.embed(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.98
    # the same nearest text for each text: quantisation does not reorder neighbours here
    assert ((a @ a.T).argsort(axis=1) == (b @ b.T).argsort(axis=1)).all()


def test_the_export_is_made_once_and_reused(tmp_path):
    model_dir = Embedder(backend="torch").path
    exported = onnxmodel.exported_model(model_dir, get_embedder().export_dir)
    # int8 matrix products; the word-embedding table (47 MB) stays float32
    assert exported.is_file() and exported.stat().st_size < 70_000_000
    assert onnxmodel.exported_model(model_dir, get_embedder().export_dir) == exported
