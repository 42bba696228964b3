"""The one error bad training content raises.

Content is edited by programme staff, not programmers, so the message must say
exactly where the problem is: the file, the line (CSV, YAML) or the id, and what is
wrong. The structured parts are kept as attributes for tests and tooling.
"""

from __future__ import annotations

from pathlib import Path


class ContentError(Exception):
    """Training content that cannot be loaded or fails validation.

    Preferred form: ``ContentError(file, problem, line=..., item=...)``, whose message
    reads like "quiz/species.yaml, line 12, question 'species-x': no choice is marked
    correct". A single ready-made message (``ContentError("platforms.yaml, line 3: ...")``)
    is accepted too. `file` is the path relative to the content root when known.
    """

    def __init__(
        self,
        file: str | Path,
        problem: str | None = None,
        *,
        line: int | None = None,
        item: str | None = None,
    ) -> None:
        self.file = str(file)
        self.problem = problem
        self.line = line
        self.item = item
        if problem is None:
            super().__init__(self.file)
            return
        where = self.file
        if line is not None:
            where += f", line {line}"
        if item is not None:
            where += f", {item}"
        super().__init__(f"{where}: {problem}")
