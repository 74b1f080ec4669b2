"""Answering: extractive by default; a language model when one is configured."""
