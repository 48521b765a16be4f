"""After the notebook tests, a table of how long each notebook took under
nbclient and how its facts came out, so that every CI log shows the
lessons' times (each must stay under test_notebooks.LESSON_LIMIT_S) and
verdicts, passed or not."""


def pytest_terminal_summary(terminalreporter):
    rows = []
    for outcome in ("passed", "failed"):
        for rep in terminalreporter.stats.get(outcome, []):
            if getattr(rep, "when", "") != "call":
                continue
            for key, v in getattr(rep, "user_properties", []):
                if key == "notebook":
                    path = rep.nodeid.split("[", 1)[-1].rstrip("]")
                    rows.append((path, outcome, v))
    if not rows:
        return
    terminalreporter.section("notebooks: time under nbclient, and facts")
    width = max(len(r[0]) for r in rows)
    for path, outcome, v in sorted(rows):
        terminalreporter.write_line(
            f"{path:<{width}}  {v['seconds']:6.1f} s  {v['holds']:3d} hold  {v['cant_tell']:2d} can't tell  "
            f"{v['fails']:2d} fail  {outcome}")
