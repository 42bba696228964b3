"""Data protection requests."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AccountDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=256, description="Your current password, to confirm.")
