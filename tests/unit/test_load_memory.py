"""Issue 19, item 4: `make bench-load` tells a worker's warm-up from memory that keeps growing
(tests/load/run.py). RSS samples every 15 s, in KiB, as /proc gives them."""

from tests.load.run import memory_report, memory_trends

MIB = 1024


def run(rss_mib_at, *, pids=(101, 102), minutes=10):
    """Samples every 15 s for `minutes`: rss_mib_at(pid, seconds) -> MiB."""
    return [
        (float(at), {pid: int(rss_mib_at(pid, at) * MIB) for pid in pids})
        for at in range(0, minutes * 60 + 1, 15)
    ]


def warm_then_flat(pid, at):
    # 205 MiB at the start, 300 after the first search (jieba) and listings, then no change.
    return 205 if at == 0 else 298 if at < 45 else 300


def test_a_worker_that_only_warmed_up_is_flat(capsys):
    samples = run(warm_then_flat)

    assert memory_report(memory_trends(samples, [101, 102], warmup=60), flat_mib=8) == "flat"

    out = capsys.readouterr().out
    assert "worker memory flat: each worker grew less than 8 MiB" in out
    assert "300.0    300.0     +0.0" in out  # RSS after the warm-up, at the end, growth


def test_a_step_during_the_warm_up_does_not_count_as_growth(capsys):
    def late_first_search(pid, at):
        return 210 if at < 45 else 300  # jieba loaded at 45 s, before the 60 s mark

    assert memory_report(memory_trends(run(late_first_search), [101]), flat_mib=8) == "flat"


def test_growth_that_stops_before_the_last_third_has_levelled_off(capsys):
    def slow_warm_up(pid, at):
        # The page cache expires at 5 minutes: the second round of renders raises the peak.
        return warm_then_flat(pid, at) + (2 * (min(at, 360) - 60) / 60 if at > 60 else 0)

    samples = run(slow_warm_up, pids=[101])

    verdict = memory_report(memory_trends(samples, [101], warmup=60), flat_mib=8, settled_mib=2)

    assert verdict == "levelled off"
    out = capsys.readouterr().out
    assert "worker memory flat" not in out
    assert "pid 101 +10.0 MiB (+1.11 MiB/min), +0.0 in the last 180 s" in out


def test_a_worker_still_growing_at_the_end_is_named(capsys):
    def one_creeps(pid, at):
        return warm_then_flat(pid, at) + (1.5 * max(0, at - 60) / 60 if pid == 102 else 0)

    samples = run(one_creeps)

    verdict = memory_report(memory_trends(samples, [101, 102], warmup=60), flat_mib=8)

    assert verdict == "growing"
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("worker memory still growing")
    assert "pid 102 +13.5 MiB (+1.50 MiB/min), +4.5 in the last 180 s" in last_line
    assert "pid 101" not in last_line


def test_a_run_shorter_than_the_warm_up_is_not_judged(capsys):
    samples = run(warm_then_flat, minutes=1)[:4]  # 0, 15, 30, 45 s

    assert memory_report(memory_trends(samples, [101, 102], warmup=60)) == "not judged"
    assert "worker memory not judged" in capsys.readouterr().out


def test_a_worker_gone_before_the_end_is_judged_on_what_was_sampled():
    samples = run(warm_then_flat)
    for _at, rss in samples[20:]:
        del rss[102]  # replaced by gunicorn after 5 minutes: its series stops there

    trends = memory_trends(samples, [101, 102], warmup=60)

    assert [(trend.pid, trend.end_at) for trend in trends] == [(101, 600.0), (102, 285.0)]
