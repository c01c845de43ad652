"""Learn → OpenStack in motion in Chromium at 1366 px, in English and Chinese: the deployment is
drawn from the cloud, a host marked down greys its nova-compute live for the instructor and for a
student alike, the compute nodes' periodic tasks appear in the Resource Tracker panel, and a launch's
messages (its claim's compute_nodes write with the numbers) fill the sequence diagram and cross the
deployment view as the worker sends them."""

import pytest

from cloudlab.compute import periodic
from cloudlab.compute.actions.host import do_host_action
from cloudlab.compute.models import Host
from tests.helpers import log_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {"en-US": ("Controller node", "internal (management) network"), "zh-CN": ("控制节点", "内部网络（管理网络）")}


PERIODIC = {"en-US": "every 60 s", "zh-CN": "每 60 秒"}


@pytest.mark.parametrize(("locale", "viewer"), [("en-US", "ivy"), ("zh-CN", "alice")])
def test_the_deployment_follows_a_host_marked_down(browser, live_server_url, demo_cloud, ivy, locale, viewer):
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        log_in(page, live_server_url, viewer)
        page.goto(live_server_url + "/learn/openstack/deployment/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        text = page.text_content("#deployment-svg")
        node, network = WORDS[locale]
        assert node in text and network in text
        compute = "#deployment-svg [data-host=compute-kvm2] [data-service=nova-compute]"
        assert page.get_attribute(compute, "data-state") == "up"
        for host in Host.objects.values_list("name", flat=True):
            assert page.locator(f"#deployment-svg [data-host='{host}'] [data-service=hypervisor]").count() == 1
        do_host_action(ivy, Host.objects.get(name="compute-kvm2"), "mark_down", "")
        page.wait_for_selector(compute + "[data-state=down]")
        do_host_action(ivy, Host.objects.get(name="compute-kvm1"), "disable", "firmware upgrade")
        kvm1 = "#deployment-svg [data-host=compute-kvm1] [data-service=nova-compute]"
        page.wait_for_selector(kvm1 + "[data-state=disabled]")
        assert "firmware upgrade" in page.text_content(kvm1)
        # The Resource Tracker panel: Nova's intervals for everyone; the periodic runs are the instructors'
        assert PERIODIC[locale] in page.text_content("#rt-tasks")
        if viewer == "ivy":
            periodic.run_periodic_tasks(force=True, cloud_id=demo_cloud.pk)
            page.wait_for_selector("#periodic-summary[data-state=ran]")
            page.wait_for_selector("#periodic-flow .cl-flow-log li code:text('get_num_instances')")
            assert "compute-kvm2" not in page.text_content("#periodic-summary")  # a down service runs nothing
        # the drawing fits the page: no horizontal scroll at 1366 px
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_launch_fills_the_sequence_diagram_and_moves_the_deployment(
    browser, live_server_url, demo_cloud, alice, launch, celery_worker, locale
):
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        log_in(page, live_server_url, "alice")
        page.goto(live_server_url + "/learn/openstack/deployment/")
        page.wait_for_selector("#live-indicator[data-state=live]")
        assert page.locator("#flow .cl-flow-log li").count() == 0
        launch(alice, name="flow-1")
        # nova-api's POST /servers first, then the conductor's and the compute node's messages
        page.wait_for_selector("#flow .cl-flow-log li code:text('POST /v2.1/servers')")
        page.wait_for_selector("#flow .cl-flow-log li[data-step=schedule_instances]")
        page.wait_for_selector("#flow svg [data-service=nova-compute]")
        # The claim's write to the compute node's record, with the numbers before and after
        step = "#flow .cl-flow-log li[data-step=compute_allocate_network]"
        claim = page.locator(step + " code:has-text('memory_mb_used')")
        claim.first.wait_for()
        assert "running_vms" in claim.first.text_content() and "→" in claim.first.text_content()
        # The drawing animates the messages one after another at the cloud's pace: wait for two.
        wait_for(lambda: int(page.get_attribute("#deployment-svg", "data-sent") or 0) >= 2, timeout=30)
        arrows, lines = page.locator("#flow svg .cl-flow-msg"), page.locator("#flow .cl-flow-log li")
        wait_for(lambda: arrows.count() == lines.count())
    finally:
        context.close()
