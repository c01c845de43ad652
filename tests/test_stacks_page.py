"""Learn → Hosted vs Bare-Metal as the server renders it: only for people logged in; the steps,
the comparison and its figures reach the page's script (``#page-data``) in the reader's language,
with every number's source and status."""

import json
import re

from django.utils import translation

from cloudlab.architectures import stacks_model as model
from cloudlab.engine import architectures as cited

URL = "/learn/hypervisors/"


def _page_data(html: str) -> dict:
    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page hands its script no #page-data"
    return json.loads(found.group(1))


def _model_strings() -> list[str]:
    """Every sentence of the model that a student reads."""
    strings = []
    for stack in model.STACKS.values():
        strings += [stack.name, stack.summary]
        strings += [text for layer in stack.layers for text in (layer.name, layer.examples) if text]
    for operation in model.OPERATIONS.values():
        strings += [operation.name, operation.summary]
        strings += [text for path in operation.paths.values() for step in path for text in (step.title, step.detail)]
    for point in model.COMPARISON:
        strings += [point.criterion, point.hosted, point.bare_metal, point.show.explanation]
    strings += [ref.short for ref in model.figure_refs()]
    strings.append(model.BINARY_TRANSLATION)
    return list(dict.fromkeys(s for s in strings if s))


def test_someone_logged_out_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")


def test_the_page_hands_its_script_the_steps_of_every_operation(client, alice):
    client.force_login(alice)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = _page_data(response.content.decode())
    disk = next(op for op in data["operations"] if op["id"] == "disk_write")
    assert disk["hops"] == {"hosted": 6, "bare-metal": 4}
    assert [step["layer"] for step in disk["paths"]["hosted"]] == [
        "apps",
        "guest_os",
        "hypervisor",
        "hypervisor",
        "host_os",
        "host_os",
        "hardware",
    ]
    assert [step["added"] for step in disk["paths"]["hosted"]] == [False, False, False, True, True, True, False]
    assert not any(step["added"] for step in disk["paths"]["bare-metal"])
    assert disk["comparison"] == (
        "Hosted: 6 hops; bare-metal: 4 hops. The hosted path adds: Host operating system, and 1 world switch."
    )
    assert [op["id"] for op in data["operations"]] == list(model.OPERATIONS)
    assert data["comparison"]["efficiency"]["show"] == {
        "operation": "disk_write",
        "step": None,
        "added": True,
        "layers": {},
        "explanation": "The disk write, with the hops the hosted path adds highlighted.",
        "note": "Efficiency and I/O: The disk write, with the hops the hosted path adds highlighted.",
    }


def test_every_figure_on_the_page_shows_its_source_and_status(client, alice):
    client.force_login(alice)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    figures = re.findall(
        r'<button type="button" class="cl-figure-value[^"]*" aria-describedby="([^"]+)">([^<]+)</button>', html
    )
    assert {value for _id, value in figures} == {
        "&lt; 0.33",
        "≥ 0.99",
        "0.53",
        "−2% to −4% under two hostile neighbours",
    }
    for figure_id, value in figures:
        tip = re.search(
            rf'<span class="cl-figure-tip" role="tooltip" id="{figure_id}">(.*?)</span>\s*</span>', html, re.S
        )
        assert tip, f"the figure {value} has no tooltip"
        assert "Source: " in tip.group(1) and re.search(r"status [PRSVU]: ", tip.group(1)), tip.group(1)
    barham = cited.SOURCES["barham2003"].citation.replace("'", "&#x27;")
    assert f"Source: {barham}" in html
    assert "status R: computed from the authors&#x27; own public raw data" in html
    assert "upper bound on the Type II penalty" in html  # the 2003 caveat, under the table too


def test_every_sentence_of_the_model_reads_in_chinese(client, alice):
    with translation.override("zh-hans"):
        untranslated = [s for s in _model_strings() if translation.gettext(s) == s]
    assert not untranslated, f"{len(untranslated)} sentences without a Chinese translation: {untranslated[:5]}"
    client.force_login(alice)
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    data = _page_data(html)
    assert data["stacks"]["hosted"]["name"] == "寄生架构（Hosted）"
    assert data["stacks"]["bare-metal"]["name"] == "裸金属架构（Bare-metal）"
    disk = next(op for op in data["operations"] if op["id"] == "disk_write")
    assert disk["comparison"] == "寄生架构：6 跳；裸金属架构：4 跳。寄生架构路径多出：宿主操作系统，以及 1 次世界切换。"
    assert "效率高（不受 Host OS 影响、I/O 优化）。" in html
    assert "功能丰富（如 3D 加速）" in html and "适于服务器系统" in html and "适于桌面系统" in html
    with translation.override("zh-hans"):
        primary = translation.gettext(cited.STATUSES["P"])
    assert primary != cited.STATUSES["P"]
    assert "状态 P：" + primary in html
