"""Lessons: `modules/*.md` (English) and `modules/<lang>/*.md` (translations).

A lesson file is YAML front matter between two `---` lines, then Markdown. A
translation has the same file name as its English lesson, in a folder named for the
language, and keeps the same `slug` and `order`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from app.content._yaml import load_yaml, strip_lines
from app.content.errors import ContentError
from app.content.markdown import render_markdown
from app.content.models import DEFAULT_LANG, TRANSLATION_LANGS, Lesson

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER_KEYS = {"slug", "title", "order", "summary", "version"}
# Headings accepted for the closing list of sources, in any content language.
SOURCES_HEADINGS = frozenset(
    {
        "sources",
        "source",
        "quellen",
        "quelle",
        "来源",
        "资料来源",
        "資料來源",
        "参考资料",
        "參考資料",
        "参考文献",
    }
)
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_URL_RE = re.compile(r"https?://[^\s<>()\[\]\"']+")


def _split_front_matter(text: str, file: str) -> tuple[str, str, int]:
    """(front matter, body, line number of the body's first line)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            file, "the lesson must start with YAML front matter between two '---' lines", line=1
        )
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise ContentError(file, "the front matter is not closed by a '---' line", line=1)


def extract_sources(markdown: str) -> tuple[bool, tuple[str, ...]]:
    """(has a Sources section, URLs listed in it)."""
    lines = markdown.splitlines()
    in_fence = False
    start: int | None = None
    level = 0
    end = len(lines)
    for index, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _HEADING_RE.match(line)
        if not match:
            continue
        heading_level = len(match.group(1))
        title = match.group(2).strip().rstrip(":：").strip().casefold()
        if start is None and title in SOURCES_HEADINGS:
            start, level = index + 1, heading_level
        elif start is not None and heading_level <= level:
            end = index
            break
    if start is None:
        return False, ()
    section = "\n".join(lines[start:end])
    urls = tuple(dict.fromkeys(url.rstrip(".,;:") for url in _URL_RE.findall(section)))
    return True, urls


def _text_field(meta: dict, key: str, file: str, item: str, *, required: bool = True) -> str | None:
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ContentError(file, f"the lesson has no {key}", item=item)
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ContentError(file, f"'{key}' must be text, not {type(value).__name__}", item=item)
    return str(value).strip()


def parse_lesson(path: Path, rel: str, lang: str) -> Lesson:
    text = path.read_text(encoding="utf-8")
    front, body, _ = _split_front_matter(text, rel)
    meta = load_yaml(front, rel, line_offset=1)
    if not isinstance(meta, dict):
        raise ContentError(rel, "the front matter must be a mapping of 'key: value' lines", line=2)
    meta = strip_lines(meta)
    unknown = sorted(set(map(str, meta)) - FRONT_MATTER_KEYS)
    if unknown:
        raise ContentError(
            rel,
            f"unknown front matter key(s): {', '.join(unknown)} (allowed: {', '.join(sorted(FRONT_MATTER_KEYS))})",
        )
    slug_value = meta.get("slug")
    if not isinstance(slug_value, str) or not slug_value.strip():
        raise ContentError(rel, "the lesson has no slug")
    slug = slug_value.strip()
    item = f"lesson '{slug}'"
    if not SLUG_RE.match(slug):
        raise ContentError(rel, "the slug must be lowercase letters, digits and single hyphens", item=item)
    title = _text_field(meta, "title", rel, item)
    summary = _text_field(meta, "summary", rel, item)
    order = meta.get("order")
    if not isinstance(order, int) or isinstance(order, bool):
        raise ContentError(rel, "'order' must be a whole number", item=item)
    version = _text_field(meta, "version", rel, item, required=False)
    if version is None:
        version = "sha-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    if not body.strip():
        raise ContentError(rel, "the lesson has no body text", item=item)
    has_sources, sources = extract_sources(body)
    if not has_sources:
        raise ContentError(
            rel, "the lesson has no 'Sources' section (a heading such as '## Sources')", item=item
        )
    if not sources:
        raise ContentError(rel, "the 'Sources' section lists no source URL", item=item)
    return Lesson(
        slug=slug,
        title=title or "",
        order=order,
        summary=summary or "",
        version=version,
        body_markdown=body,
        html=render_markdown(body),
        sources=sources,
        lang=lang,
        file=rel,
    )


def load_lessons(root: Path) -> dict[str, dict[str, Lesson]]:
    """Lessons per language: {"en": {slug: Lesson}, "fr": {...}, ...}."""
    modules = root / "modules"
    if not modules.is_dir():
        raise ContentError("modules/", "the lessons folder is missing")
    english: dict[str, Lesson] = {}
    by_file: dict[str, Lesson] = {}
    orders: dict[int, Lesson] = {}
    for path in sorted(modules.glob("*.md")):
        rel = f"modules/{path.name}"
        lesson = parse_lesson(path, rel, DEFAULT_LANG)
        if lesson.slug in english:
            raise ContentError(
                rel,
                f"duplicate slug: {english[lesson.slug].file} uses it too",
                item=f"lesson '{lesson.slug}'",
            )
        if lesson.order in orders:
            raise ContentError(
                rel,
                f"order {lesson.order} is also used by {orders[lesson.order].file}",
                item=f"lesson '{lesson.slug}'",
            )
        english[lesson.slug] = lesson
        orders[lesson.order] = lesson
        by_file[path.name] = lesson
    if not english:
        raise ContentError("modules/", "there are no lessons (*.md files)")

    result: dict[str, dict[str, Lesson]] = {DEFAULT_LANG: english}
    for folder in sorted(p for p in modules.iterdir() if p.is_dir()):
        lang = folder.name
        if lang not in TRANSLATION_LANGS:
            raise ContentError(
                f"modules/{lang}/",
                f"unknown language folder (expected one of: {', '.join(TRANSLATION_LANGS)})",
            )
        translated: dict[str, Lesson] = {}
        for path in sorted(folder.glob("*.md")):
            rel = f"modules/{lang}/{path.name}"
            original = by_file.get(path.name)
            if original is None:
                raise ContentError(rel, f"no English lesson modules/{path.name} to translate")
            lesson = parse_lesson(path, rel, lang)
            item = f"lesson '{lesson.slug}'"
            if lesson.slug != original.slug:
                raise ContentError(rel, f"slug must be '{original.slug}' as in {original.file}", item=item)
            if lesson.order != original.order:
                raise ContentError(rel, f"order must be {original.order} as in {original.file}", item=item)
            translated[lesson.slug] = lesson
        result[lang] = translated
    return result
