"""Sentence embeddings with ONNX Runtime: fast to load, fast on CPU.

A sentence-transformers model folder (BERT-like encoder + pooling) is exported
once to ONNX with PyTorch, quantized to int8 with ONNX Runtime, and cached. Later
processes load the cached file in a fraction of a second without importing torch
or transformers.

Quantization is ``"static"`` (the default) or ``"dynamic"``. Static fixes the int8
ranges of the activations at export, from calibration text; dynamic measures them on
each batch at run time, so a text's vector shifts with the other texts of its batch.
Static vectors are the same bit for bit in any batch: a document's keywords do not
depend on the company it is extracted in, and stored phrase vectors are the ones any
later batch would compute. Static costs the engine about 5 % against dynamic and, for
the one-layer re-ranking model, is as close to the float model; for all six layers of
MiniLM pseudo-text calibration loses more than dynamic does, so the reports' full model
stays dynamic (docs/benchmarks.md, benchmarks/quantization.py); the engine's long-text
re-ranking reads all six layers in static int8, where keyphrase F1 matches float32.

The export can keep only the first ``layers`` transformer layers. Keyphrase
re-ranking needs lexical-semantic closeness more than deep composition: on the
shared keyphrase sets the first layer of all-MiniLM-L6-v2 ranks within about one
to two F1 points of all six, four to five times faster (docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

EXPORT_VERSION = "2"  # bump when the export recipe changes
QUANTIZATIONS = ("static", "dynamic")
# Calibration text: common words of the plan's eleven languages, as phrases and passages.
CALIBRATION_LANGUAGES = ("en", "sv", "da", "nb", "fi", "de", "nl", "fr", "es", "it", "pt")


def default_cache_dir() -> Path:
    return Path(os.environ.get("SIEX_MODEL_CACHE") or Path.home() / ".cache" / "siex" / "models")


def _pooling_mode(model_dir: Path) -> str:
    config = model_dir / "1_Pooling" / "config.json"
    if config.is_file():
        settings = json.loads(config.read_text())
        if settings.get("pooling_mode_cls_token"):
            return "cls"
    return "mean"


def cached_onnx_path(
    model_dir: Path, cache_dir: Path, quantize: str | None, layers: int | None = None
) -> Path:
    weights = next(
        (
            p
            for p in (model_dir / "model.safetensors", model_dir / "pytorch_model.bin")
            if p.exists()
        ),
        None,
    )
    size = weights.stat().st_size if weights else 0
    stamp = f"{model_dir.resolve()}|{size}|{EXPORT_VERSION}|{quantize}|{layers or 'all'}"
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    name = f"model{f'.L{layers}' if layers else ''}{f'.int8-{quantize}' if quantize else ''}.onnx"
    return cache_dir / f"{model_dir.name}-{digest}" / name


def export(
    model_dir: Path, target: Path, quantize: str | None = "static", layers: int | None = None
) -> Path:
    """Export ``model_dir`` to ``target`` (ONNX; int8 by ``quantize``, see the module's
    docstring, or float with None; optionally only its first ``layers`` transformer
    layers); atomic, safe to race."""
    if quantize not in (*QUANTIZATIONS, None):
        raise ValueError(f"quantize must be one of {QUANTIZATIONS} or None, got {quantize!r}")
    import torch
    from transformers import AutoModel, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    if layers:
        _keep_first_layers(model, layers)

    class Encoder(torch.nn.Module):  # keyword arguments in, last hidden state out
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    sample = tokenizer(
        ["a short text", "and a somewhat longer one"], padding=True, return_tensors="pt"
    )
    axes = {0: "batch", 1: "tokens"}
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        raw = Path(tmp) / "model.onnx"
        torch.onnx.export(
            Encoder(model),
            (
                sample["input_ids"],
                sample["attention_mask"],
                sample.get("token_type_ids", torch.zeros_like(sample["input_ids"])),
            ),
            str(raw),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
            dynamo=False,
        )
        final = Path(tmp) / "final.onnx"
        if quantize == "static":
            _quantize_static(raw, final, _calibration_batches(model_dir))
        elif quantize == "dynamic":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(raw), str(final), weight_type=QuantType.QInt8)
        else:
            raw.rename(final)
        os.replace(final, target)
    return target


def _quantize_static(raw: Path, final: Path, batches: list[dict]) -> None:
    """int8 weights (per output channel) and activations with ranges calibrated once on
    ``batches``: results that do not depend on the batch, for about 5 % of the engine's
    speed against dynamic quantization."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.pending = iter(batches)

        def get_next(self):
            return next(self.pending, None)

    quantize_static(
        str(raw),
        str(final),
        Batches(),
        quant_format=QuantFormat.QOperator,
        op_types_to_quantize=["MatMul", "Gemm", "Gather"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        calibration_providers=["CPUExecutionProvider"],
        # attention's activation-by-activation products stay float: quantized, they
        # cost more in conversions than they save (about 0.8x dynamic's speed)
        extra_options={"MatMulConstBOnly": True},
    )


def calibration_texts(seed: int = 0) -> list[str]:
    """Seeded pseudo-text for calibration: 1-4-word phrases (as candidates are) and
    passages of 64 words (as documents are read), from each language's common words."""
    import random

    import wordfreq

    rng = random.Random(seed)
    texts = []
    for lang in CALIBRATION_LANGUAGES:
        words = wordfreq.top_n_list(lang, 20_000)
        texts += [" ".join(rng.choices(words, k=rng.randint(1, 4))) for _ in range(64)]
        texts += [" ".join(rng.choices(words, k=64)) for _ in range(8)]
    return texts


def _calibration_batches(model_dir: Path, batch_size: int = 64) -> list[dict]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    pad_id = _pad_id(tokenizer)
    tokenizer.no_padding()
    tokenizer.enable_truncation(64)
    texts = calibration_texts()
    return [
        _model_inputs([e.ids for e in tokenizer.encode_batch(texts[i : i + batch_size])], pad_id)
        for i in range(0, len(texts), batch_size)
    ]


def _model_inputs(rows: list[list[int]], pad_id: int) -> dict[str, np.ndarray]:
    """The model's feeds for token-id rows, padded to the longest with ``pad_id``."""
    ids = np.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _pad_id(tokenizer) -> int:
    """The model's own padding token, where its tokenizer sets one."""
    padding = tokenizer.padding
    return padding["pad_id"] if padding else tokenizer.token_to_id("[PAD]") or 0


def _keep_first_layers(model, layers: int) -> None:
    """Cut a BERT-like (``encoder.layer``) or DistilBERT-like (``transformer.layer``)
    model to its first ``layers`` transformer layers."""
    owner = getattr(model, "encoder", None) or getattr(model, "transformer", None)
    stack = getattr(owner, "layer", None)
    if stack is None:
        raise ValueError(f"cannot cut the layers of a {type(model).__name__}")
    if not 0 < layers <= len(stack):
        raise ValueError(f"layers must be between 1 and {len(stack)}, got {layers}")
    owner.layer = stack[:layers]


class OnnxEncoder:
    """Normalized sentence embeddings of texts, in batches, from a cached ONNX export."""

    def __init__(
        self,
        model_dir: Path,
        cache_dir: Path | None = None,
        quantize: str | None = "static",
        threads: int | None = None,
        layers: int | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        path = cached_onnx_path(self.model_dir, cache_dir or default_cache_dir(), quantize, layers)
        if not path.exists():
            export(self.model_dir, path, quantize, layers)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        # idle pool threads sleep instead of spinning: spinning takes the core on which the
        # next batch's candidates are found (5 % of `siex extract` on Inspec, 2 cores)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.pad_id = _pad_id(self.tokenizer)
        self.pooling = _pooling_mode(self.model_dir)
        self.onnx_path = path
        # One configured tokenizer per length: threads (API requests) never reconfigure
        # a tokenizer another thread is encoding with.
        self._tokenizers: dict[int, Tokenizer] = {}
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """Length of the vectors ``encode`` returns."""
        width = self.session.get_outputs()[0].shape[-1]
        if isinstance(width, int):
            return width
        return int(json.loads((self.model_dir / "config.json").read_text())["hidden_size"])

    def tokenizer_for(self, max_tokens: int):
        """The model's tokenizer cutting at ``max_tokens`` word pieces, without padding."""
        tokenizer = self._tokenizers.get(max_tokens)
        if tokenizer is None:
            with self._lock:
                tokenizer = self._tokenizers.get(max_tokens)
                if tokenizer is None:
                    tokenizer = type(self.tokenizer).from_str(self.tokenizer.to_str())
                    tokenizer.no_padding()
                    tokenizer.enable_truncation(max_tokens)
                    self._tokenizers[max_tokens] = tokenizer
        return tokenizer

    def encode(self, texts: list[str], max_tokens: int, batch_size: int = 64) -> np.ndarray:
        """One normalized vector per text, ``max_tokens`` word pieces at most."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = self.tokenizer_for(max_tokens).encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        # batches cut from the texts sorted by word pieces (by characters, phrases ran at twice)
        order = np.argsort(lengths, kind="stable")
        result = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            index = order[start : start + batch_size]
            feeds = _model_inputs([encodings[i].ids for i in index], self.pad_id)
            mask = feeds["attention_mask"]
            hidden = self.session.run(None, feeds)[0]
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                vectors = (hidden * mask[:, :, None]).sum(1) / np.maximum(
                    mask.sum(1, keepdims=True), 1
                )
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if result.shape[1] == 0:
                result = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            result[index] = vectors
        return result
