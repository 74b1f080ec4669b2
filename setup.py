"""Packages for setuptools; everything else is in pyproject.toml.

Only this needs code: the prompt templates are kept and edited in the top-level `prompts/` (the
project layout), and ship inside the package as `assistant/prompt_templates/` so that an installed,
non-editable copy finds them too (`assistant.prompts.default_prompts_dir`). pyproject.toml cannot
map one package to a folder outside the package tree while also finding the others.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["assistant", "assistant.*"]), "assistant.prompt_templates"],
    package_dir={"assistant.prompt_templates": "prompts"},
    package_data={"assistant.prompt_templates": ["*.txt"]},
)
