"""Markdown tables of a benchmark run, for docs/benchmarks.md."""

import statistics

TRIVIAL = "Trivial view"
ASSIGN = "Assign POST"
# Requests per second that a page must reach, as a share of the trivial view's.
RATIO_TARGETS = {"Licenses": 0.6, "Members": 0.4}
LATENCY_GROWTH_TARGET = 1.2
ASSIGN_P99_TARGET_MS = 100
BULK_ASSIGN_TARGET_SECONDS = 1.0


def format_report(machine: dict, settings: dict, results: list[dict]) -> str:
    lines = [
        f"Machine: {machine['cpu']}, {machine['memory']} of memory.",
        "Software: "
        + ", ".join(
            f"{name} {version}" for name, version in machine["versions"].items()
        )
        + ".",
        f"Code: {machine['code']}.",
        f"Load: wrk with {settings['threads']} threads and {settings['connections']} "
        f"connections, {settings['warmup']} s warm-up and {settings['duration']} s "
        f"measured per endpoint; gunicorn with {settings['workers']} sync workers. "
        f"A run during which other processes used more than "
        f"{settings['busy_limit']} cores was repeated, up to {settings['attempts']} "
        "runs in all, keeping the one with the least other load.",
        "",
    ]
    lines += format_load_table(results)
    lines += format_profile_table(results)
    lines += format_targets(results)
    return "\n".join(lines)


def format_load_table(results: list[dict]) -> list[str]:
    lines = [
        "| database | members | endpoint | req/s | ratio to trivial | p50 ms | p99 ms "
        "| statuses | worker RSS MiB, max (mean) | server CPU ms per request "
        "| CPU cores: gunicorn, PostgreSQL, wrk, other |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for case in results:
        trivial = endpoint_named(case, TRIVIAL)["requests_per_second"]
        for endpoint in case["endpoints"]:
            rss = endpoint["worker_rss_kib"]
            cpu = endpoint["cpu_cores"]
            lines.append(
                f"| {case['database']} | {case['size']:,} | {endpoint['name']} "
                f"| {endpoint['requests_per_second']:.0f} "
                f"| {endpoint['requests_per_second'] / trivial:.2f} "
                f"| {endpoint['p50_us'] / 1000:.0f} | {endpoint['p99_us'] / 1000:.0f} "
                f"| {format_statuses(endpoint)} "
                f"| {max(rss) / 1024:.0f} ({statistics.mean(rss) / 1024:.0f}) "
                f"| {server_cpu_ms(endpoint):.1f} "
                f"| {cpu['gunicorn']:.2f}, {cpu['database']:.2f}, {cpu['wrk']:.2f}, "
                f"{cpu['other']:.2f} |"
            )
    return lines


def format_statuses(endpoint: dict) -> str:
    text = ", ".join(
        f"{status}: {count}" for status, count in sorted(endpoint["statuses"].items())
    )
    if endpoint["socket_errors"]:
        text += f", socket errors: {endpoint['socket_errors']}"
    return text


def format_profile_table(results: list[dict]) -> list[str]:
    lines = [
        "",
        "One request at a time through Django's test client, median of the "
        "timed requests:",
        "",
        "| database | members | endpoint | status | queries | SQL ms | request ms "
        "| response KB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case in results:
        for name, page in case["profile"].items():
            lines.append(
                f"| {case['database']} | {case['size']:,} | {name} | {page['status']} "
                f"| {page['queries']} | {page['sql_ms']:.1f} | {page['total_ms']:.1f} "
                f"| {page['bytes'] / 1024:.0f} |"
            )
    return lines


def format_targets(results: list[dict]) -> list[str]:
    lines = [
        "",
        "| target | database | measured | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for database in dict.fromkeys(case["database"] for case in results):
        cases = sorted(
            (case for case in results if case["database"] == database),
            key=lambda case: case["size"],
        )
        smallest, largest = cases[0], cases[-1]
        trivial = endpoint_named(largest, TRIVIAL)
        for page, target in RATIO_TARGETS.items():
            measured = endpoint_named(largest, page)
            ratio = measured["requests_per_second"] / trivial["requests_per_second"]
            cpu_ratio = server_cpu_ms(trivial) / server_cpu_ms(measured)
            lines.append(
                f"| {page} at {largest['size']:,} members, at least {target} of the "
                f"trivial view's req/s | {database} | {ratio:.2f}; by server CPU "
                f"per request {cpu_ratio:.2f} | {verdict(ratio >= target)} |"
            )
        if len(cases) > 1:
            for small, large in zip(
                smallest["endpoints"], largest["endpoints"], strict=True
            ):
                p50 = large["p50_us"] / small["p50_us"]
                p99 = large["p99_us"] / small["p99_us"]
                lines.append(
                    f"| {small['name']} latency at {largest['size']:,} members at most "
                    f"{LATENCY_GROWTH_TARGET} times that at {smallest['size']:,} "
                    f"| {database} | p50 {p50:.2f}, p99 {p99:.2f} "
                    f"| {verdict(max(p50, p99) <= LATENCY_GROWTH_TARGET)} |"
                )
        if database != "postgresql":
            continue
        for case in cases:
            p99_ms = endpoint_named(case, ASSIGN)["p99_us"] / 1000
            lines.append(
                f"| Assign POST p99 under {ASSIGN_P99_TARGET_MS} ms, "
                f"{case['administrators']} administrators' sessions, "
                f"{case['size']:,} members | {database} | {p99_ms:.0f} ms "
                f"| {verdict(p99_ms < ASSIGN_P99_TARGET_MS)} |"
            )
        for case in cases:
            if seconds := case["bulk_assign_seconds"]:
                measured = ", ".join(f"{s:.2f}" for s in seconds)
                lines.append(
                    f"| assign_license_to_members for 1,000 members under "
                    f"{BULK_ASSIGN_TARGET_SECONDS:.0f} s, {case['size']:,} members "
                    f"| {database} | {measured} s "
                    f"| {verdict(max(seconds) < BULK_ASSIGN_TARGET_SECONDS)} |"
                )
    return lines


def server_cpu_ms(endpoint: dict) -> float:
    """Return the CPU milliseconds gunicorn and PostgreSQL spent per request.

    Returns infinity when no request completed during the run.
    """
    cores = endpoint["cpu_cores"]["gunicorn"] + endpoint["cpu_cores"]["database"]
    if not endpoint["requests_per_second"]:
        return float("inf")
    return cores * 1000 / endpoint["requests_per_second"]


def endpoint_named(case: dict, name: str) -> dict:
    return next(endpoint for endpoint in case["endpoints"] if endpoint["name"] == name)


def verdict(met: bool) -> str:
    return "met" if met else "missed"
