"""Page weights: the bytes Chromium transfers to show Project → Overview, Project → Instances,
Admin → Hypervisors and a scheduling decision, each with an empty cache.

Starts CloudLab with its own run command (``python -m cloudlab run``: migrate, demo cloud,
collectstatic, Redis, worker, Daphne) in a fresh data directory, by default as in production
(``DEBUG=0``; ``--debug`` for the development mode), logs ivy in (an instructor with a project),
launches one instance through the Launch dialog so that a decision exists, then opens each page in
a new browser context with ivy's session and an empty cache. Per page it prints the bytes
received (Chromium's ``encodedDataLength``: compressed bodies and headers), the requests, and the
largest response with its encoding and Cache-Control. Then it opens each page again in the same
context, to show what a second visit costs. No timing is asserted anywhere.

    .venv/bin/python bench/page_weight.py [--debug] [--port 8765]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run_server import CHROMIUM, CHROMIUM_FLAGS, cloudlab_run

PAGES = (
    ("Overview", "/project/overview/"),
    ("Instances", "/project/instances/"),
    ("Hypervisors", "/admin/hypervisors/"),
    ("Decision", None),  # the decision of the instance launched here
)


def log_in_and_launch(browser: Any, base: str) -> tuple[dict[str, Any], str]:
    """ivy's session, and the URL of the decision of an instance launched through the dialog."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/auth/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", "cloudlab-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#instances-table")
    page.click("#launch-button")
    expect(page.locator("#launch-name")).to_be_focused()  # no string predicates: the CSP forbids eval
    page.fill("#launch-name", "weighed")
    page.select_option("#launch-image", label="cirros (21 MB)")
    page.check("#flavor-1")
    page.click("#launch-submit")
    page.wait_for_selector("#launch-modal", state="hidden")
    page.goto(f"{base}/project/decisions/")
    page.locator("a[href*='/project/decisions/']").first.wait_for()
    decision = page.evaluate(
        "[...document.links].map(a => a.pathname).find(p => /\\/project\\/decisions\\/\\d+\\/$/.test(p))"
    )
    state = context.storage_state()
    context.close()
    return state, decision


def weigh(page: Any, url: str) -> dict[str, Any]:
    """Open ``url`` and add up what Chromium received for it (WebSocket frames left out)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    responses: dict[str, dict[str, Any]] = {}
    received: dict[str, int] = {}

    def on_response(event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        responses[event["requestId"]] = {
            "url": response["url"],
            "encoding": headers.get("content-encoding", "-"),
            "cache": headers.get("cache-control", "-"),
            "cached": response.get("fromDiskCache") or response.get("fromMemoryCache"),
        }

    def on_finished(event: dict[str, Any]) -> None:
        received[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)  # charts drawn, the live socket open
    cdp.detach()
    fetched = {rid: n for rid, n in received.items() if rid in responses and not responses[rid]["cached"]}
    largest = max(fetched, key=lambda rid: fetched[rid]) if fetched else None
    return {
        "bytes": sum(fetched.values()),
        "requests": len(fetched),
        "largest": (responses[largest], fetched[largest]) if largest else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="DEBUG=1 (the development mode)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="cloudlab-weight-", dir="/tmp")
    with cloudlab_run(args.port, data_dir, debug=args.debug) as base:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            state, decision = log_in_and_launch(browser, base)
            print(f"DEBUG={'1' if args.debug else '0'}  (cold: empty cache; again: the same page once more)")
            print(f"{'page':<12} {'cold KB':>9} {'requests':>8} {'again KB':>9}  largest response")
            for name, path in PAGES:
                context = browser.new_context(locale="en-US", storage_state=state)
                page = context.new_page()
                url = base + (path or decision)
                if path is None:
                    name = f"Decision {decision.rstrip('/').rsplit('/', 1)[-1]}"
                cold = weigh(page, url)
                again = weigh(page, url)
                context.close()
                largest = ""
                if cold["largest"]:
                    info, size = cold["largest"]
                    largest = (
                        f"{info['url'].removeprefix(base)} {size / 1024:.1f} KB, {info['encoding']}, {info['cache']}"
                    )
                sizes = f"{cold['bytes'] / 1024:>9.1f} {cold['requests']:>8} {again['bytes'] / 1024:>9.1f}"
                print(f"{name:<12} {sizes}  {largest}")
            browser.close()


if __name__ == "__main__":
    main()
