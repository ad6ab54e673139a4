"""Guided lessons: GET /api/lessons (all, in order) and GET /api/lessons/{slug} (one).

The table lives in app/lessons.py; every scene is a complete POST /api/run body, so the page
(or a script) loads a lesson by posting `scene` (or each of `scenes`) to /api/run.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from app.api.errors_doc import ErrorDetail
from app.lessons import LESSONS, all_lessons, get_lesson, lesson_slugs
from app.responses import SafeJSONResponse
from app.schemas.runs import RunRequest

router = APIRouter(prefix="/api", tags=["lessons"])


class ViewHints(BaseModel):
    """How the page should first show the lesson; the user may change everything afterwards."""

    show_eigenvectors: bool = Field(default=False, description="draw the Hessian's eigenvectors (quadratics)")
    eta_slider_for: int | None = Field(
        default=None, ge=0, description="index into scene.optimizers whose η gets a slider with its stability band")
    step_through: int | None = Field(
        default=None, ge=0, description="index of the run to open in step-by-step mode (POST /api/run with details)")
    log_loss: bool = Field(default=True, description="loss chart on a log scale")


class LessonScene(BaseModel):
    caption: str = Field(description="what this scene shows, one line", examples=["θ = 45°, start rotated by 45°"])
    request: RunRequest = Field(description="a complete POST /api/run body (schedule and noise spelled out)")


class Lesson(BaseModel):
    model_config = {"json_schema_extra": {"examples": [LESSONS[0]]}}

    slug: str = Field(description="stable id, used in the page URL `/#lesson=<slug>`", examples=["ill-conditioning"])
    number: int = Field(ge=1, description="position in the lessons menu, from 1", examples=[1])
    title: str = Field(examples=["Ill-conditioning: the zig-zag"])
    question: str = Field(description="two sentences that pose the lesson's question")
    notice: str = Field(description="'what to notice': the numbers the runs show, per docs/theory.md; each one is "
                                    "checked through /api/run by the test suite")
    scene: RunRequest = Field(description="the main scene, equal to scenes[0].request: POST it to /api/run")
    scenes: list[LessonScene] = Field(
        min_length=1, description="every scene of the lesson, the main one first. More than one where a single "
                                  "request cannot show the contrast (noise and surface are per request): e.g. "
                                  "the same valley at θ = 0° and 45°, or a run with and without noise")
    view: ViewHints
    url: str = Field(description="page URL fragment that opens this lesson", examples=["/#lesson=ill-conditioning"])


class LessonList(BaseModel):
    lessons: list[Lesson] = Field(description="all lessons in menu order")


NOT_FOUND = {404: {"model": ErrorDetail, "description": "unknown slug; the message lists the available ones",
                   "content": {"application/json": {"example": {
                       "detail": "unknown lesson 'x'; available: ill-conditioning, stability-cliff, ..."}}}}}


@router.get("/lessons", response_model=LessonList, summary="Guided lessons: preset scenes with a question and notes")
async def lessons() -> SafeJSONResponse:
    return SafeJSONResponse({"lessons": all_lessons()})


@router.get("/lessons/{slug}", response_model=Lesson, responses=NOT_FOUND, summary="One guided lesson by slug")
async def lesson(slug: str) -> SafeJSONResponse:
    entry = get_lesson(slug)
    if entry is None:
        raise HTTPException(404, f"unknown lesson '{slug}'; available: {', '.join(lesson_slugs())}")
    return SafeJSONResponse(entry)
