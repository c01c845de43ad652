"""Admin → Scheduler in Chromium: switching the era fills in that era's defaults (filters in order,
weighers, allocation ratios) and greys the filters it does not have; Save takes them as they are."""

import pytest

from cloudlab.compute.models import Cloud, Host
from cloudlab.compute.scheduling import scheduler_config
from cloudlab.engine.scheduler import ERA_DEFAULT_FILTERS, ERA_DEFAULT_WEIGHERS
from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _enabled_filters(page):
    """The ticked filters in the table's order, with their positions."""
    return page.locator("#filter-table tbody tr").evaluate_all(
        "rows => rows.filter(r => r.querySelector('input[type=checkbox]').checked)"
        ".map(r => [r.dataset.filter, r.querySelector('input[type=number]').value])"
    )


def _weighers(page):
    return page.locator("input[name=weight_classes]:checked").evaluate_all("els => els.map(e => e.value)")


def test_switching_the_era_offers_its_defaults_and_saves_them(browser, live_server_url, demo_cloud, ivy):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server_url, "ivy")
    page.goto(f"{live_server_url}/admin/scheduler/")
    classic = _enabled_filters(page)
    assert [name for name, _position in classic] == list(ERA_DEFAULT_FILTERS["classic"])

    page.select_option("#id_era", "placement")
    assert "Filled in with the defaults of the era placement" in page.locator("#era-offer").inner_text()
    assert _enabled_filters(page) == [[n, str(i)] for i, n in enumerate(ERA_DEFAULT_FILTERS["placement"], start=1)]
    assert _weighers(page) == list(ERA_DEFAULT_WEIGHERS["placement"])
    assert page.input_value("#id_cpu_allocation_ratio") == "4"
    assert page.input_value("#id_ram_allocation_ratio") == "1"
    ram = page.locator("#filter-table tr[data-filter=RamFilter]")
    assert ram.locator("input[type=checkbox]").is_disabled()
    assert "Removed from Nova in Train (20)" in ram.inner_text()
    zone = page.locator("#filter-table tr[data-filter=AvailabilityZoneFilter]")
    assert zone.locator("input[type=checkbox]").is_disabled()  # Nova 2023.2: the request filter does it
    assert "2023.2" in zone.inner_text() and "map_az_to_placement_aggregate" in zone.inner_text()

    page.select_option("#id_era", "classic")  # back: the saved settings again
    assert "Filled in again with this cloud's saved settings" in page.locator("#era-offer").inner_text()
    assert _enabled_filters(page) == classic
    assert _weighers(page) == ["RAMWeigher", "IoOpsWeigher", "MetricsWeigher"]
    assert not ram.locator("input[type=checkbox]").is_disabled()

    page.select_option("#id_era", "placement")
    page.click("#scheduler-save")
    page.locator(".alert-success").wait_for()
    cloud = Cloud.objects.get(pk=demo_cloud.pk)
    config = scheduler_config(cloud)
    assert (cloud.era, config.enabled_filters) == ("placement", ERA_DEFAULT_FILTERS["placement"])
    assert config.weight_classes == ERA_DEFAULT_WEIGHERS["placement"]
    assert set(Host.objects.filter(cloud=cloud).values_list("cpu_allocation_ratio", flat=True)) == {4.0}
    context.close()
