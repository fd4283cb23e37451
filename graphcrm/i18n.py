"""Tiny helpers for the two report languages (English and Chinese)."""
from __future__ import annotations

from graphcrm.errors import ConfigError

LANGS = ("en", "zh")


def check_lang(lang: str | None) -> str:
    """Return ``"en"`` or ``"zh"`` for ``lang`` (``None`` means English).

    Raises
    ------
    ConfigError
        For any other value.
    """
    if lang is None:
        return "en"
    norm = str(lang).lower().replace("_", "-")
    if norm in ("en", "en-us", "en-gb", "english"):
        return "en"
    if norm in ("zh", "zh-cn", "zh-hans", "cn", "chinese", "中文"):
        return "zh"
    raise ConfigError(f"unknown language {lang!r}; use 'en' or 'zh'")


def pick(lang: str, *, en: str, zh: str) -> str:
    """Choose the text for ``lang`` (already checked with :func:`check_lang`)."""
    return zh if lang == "zh" else en


def join(parts: list[str], lang: str) -> str:
    """Join reason fragments with the language's list separator."""
    return ("，" if lang == "zh" else "; ").join(p for p in parts if p)
