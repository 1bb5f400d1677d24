"""The int8 OpenVINO export of the shipped model against the model itself on PyTorch."""

import numpy as np
import pytest

from kmsearch.config import Settings
from kmsearch.index import openvinomodel
from kmsearch.index.embedder import (
    MODEL_NAME,
    Embedder,
    EmbeddingCache,
    cache_key,
    embed_cached,
)

TEXTS = [
    "Hydrogen trucks along the Trans-European corridor, sponsored by an energy company.",
    "A mobile operator shared anonymised phone data for tourism statistics.",
    "Lessons: agree the use of logos before printing anything.",
    "short",
]


def test_openvino_is_the_default_and_named_apart_from_torch(tmp_path):
    assert openvinomodel.available()
    assert Settings.from_env({}).embed_backend == "openvino"
    assert Settings.from_env({"KMSEARCH_EMBED_BACKEND": "torch"}).embed_backend == "torch"
    with pytest.raises(ValueError, match="openvino, torch"):
        Settings.from_env({"KMSEARCH_EMBED_BACKEND": "onnx"})
    assert Embedder().backend == "openvino"
    assert Embedder().name != Embedder(backend="torch").name == MODEL_NAME


def test_the_export_is_shared_by_every_index_of_a_user(tmp_path):
    home = Settings.from_env({}, instance_dir=tmp_path / "a").model_cache_dir
    other = Settings.from_env({}, instance_dir=tmp_path / "b").model_cache_dir
    assert home == other and "indexes" not in home.parts
    chosen = Settings.from_env({"KMSEARCH_MODEL_CACHE": str(tmp_path / "models")})
    assert chosen.model_cache_dir == tmp_path / "models"


@pytest.mark.model
def test_int8_vectors_are_the_torch_models_to_within_quantisation():
    int8, torch = Embedder(), Embedder(backend="torch")
    a, b = int8.embed(TEXTS), torch.embed(TEXTS)
    assert int8.backend == "openvino"
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.98
    # similarities between texts move by hundredths at most (ties may swap, nothing more)
    assert np.abs(a @ a.T - b @ b.T).max() < 0.03


@pytest.mark.model
def test_batches_run_side_by_side_keep_their_order():
    texts = [f"Note {i}: " + "a partnership with a railway company " * (i % 7 + 1)
             for i in range(40)]
    embedder = Embedder(batch_size=4)
    assert embedder.load().streams >= 2
    together = embedder.embed(texts)
    one_by_one = np.vstack([embedder.embed([text]) for text in texts])
    # padding changes an int8 batch's scales a little, never which text a row belongs to
    assert (together * one_by_one).sum(axis=1).min() > 0.99
    assert ((together @ one_by_one.T).argmax(axis=1) == np.arange(len(texts))).all()


@pytest.mark.model
def test_the_export_is_made_once_and_reused(tmp_path):
    model_dir = Embedder(backend="torch").path
    cache = Settings.from_env().model_cache_dir
    exported = openvinomodel.exported_model(model_dir, cache)
    # int8 matrix products; the word-embedding table (47 MB) stays float32
    assert exported.is_file() and exported.with_suffix(".bin").stat().st_size < 70_000_000
    made = exported.stat().st_mtime_ns
    assert openvinomodel.exported_model(model_dir, cache) == exported
    assert exported.stat().st_mtime_ns == made


@pytest.mark.model
def test_a_failed_export_falls_back_to_torch_under_torchs_own_name(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the export's folder should be")
    embedder = Embedder(export_dir=blocked)
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    vectors = embed_cached(TEXTS, embedder, cache)
    assert embedder.backend == "torch" and embedder.name == MODEL_NAME
    # the vectors are filed under the model that made them, not under the int8 export's name
    filed = cache.get_many([cache_key(MODEL_NAME, text) for text in TEXTS], 384)
    assert len(filed) == len(cache) == len(TEXTS)
    assert np.allclose(np.vstack([filed[cache_key(MODEL_NAME, t)] for t in TEXTS]), vectors)


def test_batches_hold_texts_of_similar_length_in_tokens():
    # characters and tokens disagree: digits and symbols cost a token each, words far less
    words = ["partnership with a railway company", "1.5 ± 0.2 (p < 0.05; n = 31)"]
    texts = [words[i % 2] * (1 + (i * 7) % 23) for i in range(200)]
    embedder = Embedder(batch_size=16)
    batches = embedder._batches(texts)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    tokens = [min(embedder.count_tokens(text), embedder.max_tokens) for text in texts]
    padded = sum(len(batch) * max(tokens[i] for i in batch) for batch in batches)
    assert all(len(batch) <= 16 for batch in batches)
    assert all(max(tokens[i] for i in b) <= 1.25 * min(tokens[i] for i in b) + 8 for b in batches)
    assert padded <= 1.1 * sum(tokens)
