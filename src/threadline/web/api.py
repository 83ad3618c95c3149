"""Routes: see threadline.web.app."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
