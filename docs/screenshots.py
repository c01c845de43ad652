"""Retake the screenshots in docs/img/ from the product itself.

Starts CloudLab with its own run command (``python -m cloudlab run``: migrate, the demo cloud,
Redis, worker, Daphne) in a fresh data directory on a loopback port, then drives Chromium as a
student would: alice logs in, launches instances through the Launch dialog and opens the
scheduling view of her last launch while the funnel plays, then replays it to its end with
"why not compute-vbox?" open. Each picture is taken at 1366 x 768 (a laptop; the projector
shows the same layout larger), in English, and the Instances panel in Chinese too.

    .venv/bin/python docs/screenshots.py [--port 8766] [--out docs/img]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.run_server import CHROMIUM, CHROMIUM_FLAGS, cloudlab_run  # noqa: E402 - run as a script

SIZE = {"width": 1366, "height": 768}


def log_in(page: Any, base: str, user: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(f"{base}/auth/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "cloudlab-demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/project/instances/")
    page.wait_for_selector("#live-indicator[data-state=live]")


def launch(page: Any, name: str, flavor: str, count: int = 1) -> None:
    page.click("#launch-button")
    page.wait_for_selector("#launch-modal.show #launch-flavors tbody tr")
    page.fill("#launch-name", name)
    page.select_option("#launch-image", label="cirros (21 MB)")
    if count > 1:
        page.fill("#launch-count", str(count))
    page.locator(f"#launch-flavors tr[data-flavor='{flavor}'] input").check()


def settled(page: Any, name: str) -> None:
    page.locator("#instances-table tbody tr", has_text=name).filter(has_text="Running").first.wait_for(timeout=60000)


WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources:
          requests: {cpu: 400m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
"""

RUNNING_JS = """(n) => [...document.querySelectorAll('#pods-table [data-status]')]
  .filter(s => s.dataset.status === 'Running').length === n"""


def kubernetes(browser: Any, base: str, out: Path) -> list[str]:
    """bob builds a cluster from three instances, creates a Deployment of 3 and a Service from
    YAML, scales it to 5 (one pod Pending: two 1-CPU workers hold four 400m pods)."""
    page = browser.new_page(viewport=SIZE)
    log_in(page, base, "bob", "en")
    launch(page, "k8s", "m1.small", count=3)
    page.click("#launch-submit")
    page.wait_for_selector("#launch-modal", state="hidden")
    for name in ("k8s-1", "k8s-2", "k8s-3"):
        settled(page, name)
    page.goto(f"{base}/project/kubernetes/")
    page.screenshot(path=out / "kube-create-cluster.png")
    page.fill("#cluster-name-input", "lab")
    page.click("#cluster-create")
    page.wait_for_selector("#kube-diagram .cl-kube-node[data-node]")
    cluster_url = page.url
    page.click("#cluster-tabs a[data-section=create]")
    page.fill(
        "#apply-manifest", WEB.replace("replicas: 3", "replicas: -1").replace("name: web\nspec", "name: Web\nspec", 1)
    )
    page.click("#apply-button")
    page.wait_for_selector("#apply-error .cl-kube-causes")
    page.screenshot(path=out / "kube-create-invalid.png", full_page=True)
    page.fill("#apply-manifest", WEB)
    page.click("#apply-button")
    page.wait_for_selector("#apply-ok")
    page.click("#cluster-tabs a[data-section=workloads]")
    page.wait_for_function(RUNNING_JS, arg=3, timeout=60000)
    page.click("#deployments-table tr[data-name=web] button[data-verb=scale]")
    page.fill("#kube-replicas", "5")
    page.click("#kube-modal-confirm")
    page.wait_for_selector("#pods-table [data-failed-scheduling]", timeout=60000)
    page.wait_for_function(RUNNING_JS, arg=4, timeout=60000)
    page.screenshot(path=out / "kube-workloads.png", full_page=True)
    pending = page.locator("#pods-table tr[data-name]", has=page.locator("[data-status=Pending]")).first
    page.goto(base + pending.locator("a[data-decision]").get_attribute("href"))
    page.wait_for_selector("#host-cards > *")
    page.wait_for_timeout(3000)  # the funnel plays to its end
    page.screenshot(path=out / "kube-decision.png", full_page=True)
    page.goto(f"{cluster_url}services/default/web/")
    page.wait_for_selector("#live-indicator[data-state=live]")
    page.screenshot(path=out / "kube-service.png", full_page=True)
    page.goto(f"{base}/project/kubernetes/bridge/")
    page.wait_for_load_state("load")
    page.wait_for_timeout(1000)
    page.screenshot(path=out / "kube-bridge.png", full_page=True)
    page.goto(cluster_url)
    page.wait_for_selector("#kube-diagram .cl-kube-pod")
    page.screenshot(path=out / "kube-overview.png", full_page=True)
    for section in ("nodes", "etcd"):
        page.goto(f"{cluster_url}{section}/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        page.screenshot(path=out / f"kube-{section}.png")
    zh = browser.new_page(viewport=SIZE)
    log_in(zh, base, "bob", "zh-hans")
    zh.goto(cluster_url)
    zh.wait_for_selector("#kube-diagram .cl-kube-pod")
    zh.screenshot(path=out / "kube-overview-zh.png")
    return [
        *("kube-create-cluster", "kube-create-invalid", "kube-workloads", "kube-decision", "kube-service"),
        *("kube-bridge", "kube-overview", "kube-nodes", "kube-etcd", "kube-overview-zh"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", choices=("all", "kubernetes"), default="all", help="retake only these pictures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="cloudlab-shots-", dir="/tmp") as data_dir,
        cloudlab_run(args.port, data_dir, pace=1.0, workers=4) as base,
    ):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            taken = kubernetes(browser, base, args.out)
            if args.only == "kubernetes":
                browser.close()
                for name in taken:
                    print(f"{args.out / name}.png: {(args.out / f'{name}.png').stat().st_size} bytes")
                return 0
            page = browser.new_page(viewport=SIZE)
            log_in(page, base, "alice", "en")
            launch(page, "web", "m1.tiny", count=2)
            page.click("#launch-submit")
            page.wait_for_selector("#launch-modal", state="hidden")
            settled(page, "web-2")
            launch(page, "db", "m1.small")
            page.screenshot(path=args.out / "launch-dialog.png")
            page.click("#launch-submit")
            page.wait_for_selector("#launch-modal", state="hidden")
            page.locator("#instances-table tbody tr", has_text="db").first.wait_for()
            notices = page.locator("main .cl-notice .btn-close")
            while notices.count() > 1:  # the newest launch's link stays
                notices.last.click()
            page.screenshot(path=args.out / "instances-en.png")
            settled(page, "db")

            # The scheduling view of a launch that is still being decided.
            launch(page, "cache", "m1.small")
            page.click("#launch-submit")
            page.locator("main .cl-notice-link").first.click()
            page.wait_for_selector("#host-cards > *")
            page.wait_for_selector("body[data-stage-index='3']", timeout=30000)
            page.screenshot(path=args.out / "decision-live.png")
            page.locator("#play-toggle", has_text="Replay").wait_for(timeout=60000)
            page.select_option("#speed", "instant")
            last = int(page.locator("#stage-slider").get_attribute("max"))
            page.locator("#stage-slider").fill(str(last))
            page.locator("#stage-slider").dispatch_event("input")
            page.wait_for_selector(f"body[data-stage-index='{last}']")
            page.locator(".cl-host-card[data-host='compute-vbox']").click()
            page.wait_for_selector("#why-panel.show")
            page.screenshot(path=args.out / "decision-end.png", full_page=True)

            # The flow of that launch, from the scheduling view, stepped to its last message.
            page.goto(base + page.get_attribute("#decision-flow-link", "href"))  # the why panel covers it
            page.wait_for_selector("#flow-status[data-in-progress='false']", timeout=60000)
            while page.is_enabled("#flow-step"):
                page.click("#flow-step")
            page.screenshot(path=args.out / "flow-replay.png", full_page=True)
            page.goto(f"{base}/learn/openstack/deployment/")
            page.wait_for_selector("#deployment-svg [data-service='nova-api']")
            page.screenshot(path=args.out / "flow-deployment.png")

            # The Resource Tracker panel as the instructor sees it, right after a periodic run.
            ivy = browser.new_page(viewport=SIZE)
            log_in(ivy, base, "ivy", "en")
            ivy.goto(f"{base}/learn/openstack/deployment/")
            ivy.click("#rt-run-now")
            ivy.wait_for_selector("#periodic-summary:not([data-state='empty'])", timeout=60000)
            ivy.wait_for_timeout(1500)  # the run's messages light up on their node
            ivy.locator("#resource-tracker").screenshot(path=args.out / "flow-tracker.png")

            zh = browser.new_page(viewport=SIZE)
            log_in(zh, base, "alice", "zh-hans")
            zh.screenshot(path=args.out / "instances-zh.png")
            browser.close()
    shots = ("instances-en", "instances-zh", "launch-dialog", "decision-live", "decision-end", "flow-replay")
    for name in (*shots, "flow-deployment", "flow-tracker", *taken):
        print(f"{args.out / name}.png: {(args.out / f'{name}.png').stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
