"""The campaign assistant: knowledge base, French retrieval, argument sheets, leaflets, rebuttals.

Offline by default (BM25 with French analysis and extractive composition: every sentence comes
from a cited passage); with an OpenAI-compatible endpoint configured it writes fluent text whose
citations are still checked against the passages it was given.
"""
