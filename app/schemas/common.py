"""Shapes shared across the API."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """A page of a list; pass `next_cursor` back as `?cursor=` for the next one."""

    items: list[Item]
    next_cursor: str | None = None


class ErrorPublic(BaseModel):
    detail: str
    code: str | None = None
