"""`/gtm ask` benchmark: index build time, and the time per question (in memory, then rendered).

    python -m bench.ask_bench [--repeat 50]

The questions are the ranking test's set (tests/handbook/ask_questions.yaml), each asked `--repeat`
times against the shipped handbook. "ask" is the ranking alone; "ask + render" adds the Block Kit
template, which is what `/gtm ask` does inside Slack's ack. The aim is well under 5 ms per question.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from bot.handbook.search import HandbookIndex
from bot.handbook.sections import default_handbook_path
from bot.render import Renderer
from bot.settings import PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "tests" / "handbook" / "ask_questions.yaml"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="times each question is asked")
    args = parser.parse_args()
    questions = [row["q"] for row in yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))]

    text = default_handbook_path().read_text(encoding="utf-8")
    builds = []
    for _ in range(5):
        start = time.perf_counter()
        index = HandbookIndex.from_text(text)
        builds.append(time.perf_counter() - start)
    renderer = Renderer(Path(PROJECT_ROOT / "templates"))

    def render(question: str) -> None:
        answers = index.ask(question)
        renderer.message(
            "glossary/ask.json.j2",
            question=question,
            answers=[
                {"title": a.section.title, "url": a.section.url, "text": a.passage.text, "trail": ""}
                for a in answers
            ],
        )

    print(f"Handbook index: {len(index.passages)} passages in {len(index.sections)} sections,")
    print(f"  built in {min(builds) * 1000:.0f} ms (best of 5; once per process, at start)")
    print(f"\n{len(questions)} questions x {args.repeat}")
    print(f"  {'':<16}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    slowest: dict[str, tuple[float, str]] = {}
    for name, work in (("ask", index.ask), ("ask + render", render)):
        times: list[float] = []
        best = dict.fromkeys(questions, float("inf"))
        for _ in range(args.repeat):
            for question in questions:
                start = time.perf_counter()
                work(question)
                took = time.perf_counter() - start
                times.append(took)
                best[question] = min(best[question], took)
        print(
            f"  {name:<16}{percentile(times, 50) * 1000:>9.3f}{percentile(times, 99) * 1000:>9.3f}"
            f"{max(times) * 1000:>9.3f}{statistics.fmean(times) * 1000:>9.3f}"
        )
        slowest[name] = max((took, question) for question, took in best.items())
    # p99 and max include the machine's scheduling and GC pauses; a question's best run is its own cost.
    for name, (took, question) in slowest.items():
        print(f"  slowest question, {name} (its best of {args.repeat}): {took * 1000:.3f} ms, {question!r}")


if __name__ == "__main__":
    main()
