"""Every word in Chinese: on zh-Hans pages no text of CloudLab's own stays English. What may stay
Latin is what the course keeps as it is: the demo's names (hosts, instances, projects, flavors,
images), numbers and units, Nova's identifiers (vm_state and task_state codes, filter and
weigher names, nova.conf options, API action names, UUIDs, addresses, anything in a ``code``
element, or in SVG, where there is no ``code``, one of class ``cl-nova-name``) and Nova's own
message, quoted in a ``.cl-nova-original`` element beside its translation, as a student will meet
it in real logs; a publication's citation, in a ``cite``
element, stays in the language it was published in. Chinese text uses full-width punctuation.

The walk comes after a launch, an action and a NoValidHost, so faults, events and outcomes are
on the pages. It is the zh-CN walk the fit and policy tests read too (``tests.page_walk.survey``);
the texts are read at the width each page is loaded at, the first of ``WIDTHS``."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from cloudlab.classroom.models import ClassSession, Participant
from cloudlab.compute.models import Aggregate, Cloud, Flavor, Host, Image, Instance
from cloudlab.engine import lifecycle
from cloudlab.engine.architectures import SOURCES
from cloudlab.engine.flow import SERVICES as FLOW_SERVICES
from cloudlab.engine.scheduler import FILTER_NAMES, WEIGHER_NAMES
from cloudlab.engine.scheduler.config import SchedulerConfig
from cloudlab.engine.scheduler.drivers import DRIVERS
from cloudlab.identity.models import Project
from tests.page_walk import WIDTHS, survey
from tests.test_recorded_messages import RECORDED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Run in the page: every visible text node (and screen-reader text), every title, aria-label and
#: placeholder, outside code elements and Nova's quoted originals; and every quoted original
#: without Chinese beside it.
TEXTS_JS = r"""
() => {
  const SKIP = "script, style, noscript, code, kbd, samp, cite, .cl-nova-original, .cl-nova-name";
  const CJK = /[\u3400-\u9fff]/;
  const shown = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  const where = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const texts = [], whole = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const p = t.parentElement;
    if (!p || p.closest(SKIP) || whole.has(p)) continue;
    // A word the page lets wrap at <wbr> (Server<wbr>Group<wbr>…Weigher) is one text.
    if (p.querySelector(":scope > wbr")) whole.add(p);
    const text = (whole.has(p) ? p.textContent : t.data).trim();
    if (!text) continue;
    const inSvgTitle = p.tagName.toLowerCase() === "title";
    const option = p.closest("option");
    const visible = inSvgTitle || p.closest(".visually-hidden") ||
      (option ? shown(option.closest("select")) : shown(p));
    if (visible) texts.push({ text: text, kind: inSvgTitle ? "title" : "text", where: where(p) });
  }
  document.querySelectorAll("[title], [aria-label], [placeholder]").forEach((el) => {
    if (el.closest(SKIP)) return;
    ["title", "aria-label", "placeholder"].forEach((name) => {
      const value = (el.getAttribute(name) || "").trim();
      if (value) texts.push({ text: value, kind: name, where: where(el) });
    });
  });
  const bare = [];
  // Nova's original has its translation beside it: Chinese within the element around it
  // (the original's parent, or the one around that).
  document.querySelectorAll(".cl-nova-original").forEach((el) => {
    if (!shown(el)) return;
    const around = [el.parentElement, el.parentElement.parentElement].map((a) => a.innerText.replace(el.innerText, ""));
    if (!around.some((text) => CJK.test(text.replace(/Nova[：:]?/g, ""))))
      bare.push(el.innerText.trim() + " (in " + where(el.parentElement) + ")");
  });
  return { texts: texts, bare: bare };
}
"""

CJK = re.compile(r"[\u3400-\u9fff]")
#: Half-width punctuation beside Chinese: "已禁用, 在线", "消息: …", "隔离 (…)".
HALF_WIDTH = re.compile(r"[\u3400-\u9fff]\s?[,;:!?(]|[,;:!?)]\s?[\u3400-\u9fff]|[\u3400-\u9fff]\.(\s|$)")
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:/'+\-]*[A-Za-z0-9_]|[A-Za-z]")
UNITS = {"MB", "GB", "KB", "TB", "MiB", "GiB", "s", "ms", "vCPU", "vCPUs", "x", "k"}
#: Product and service names the course keeps in English.
PRODUCTS = {
    "CloudLab",
    "Nova",
    "OpenStack",
    "Horizon",
    "Placement",
    "English",
    "nova-compute",
    "nova-scheduler",
    "nova-conductor",
    "nova-api",
    "nova.conf",
    "libvirt",
    "Icehouse",
    "Newton",
    "Victoria",
    "Zed",
    "Claim",
    # Hypervisors and container runtimes, as the chapter names them.
    "KVM",
    "QEMU",
    "Xen",
    "ESXi",
    "Hyper-V",
    "VirtualBox",
    "VMware",
    "Firecracker",
    "Docker",
    "LXC",
    "runc",
    "gVisor",
    "Kata",
    # The chapter's last part keeps Kubernetes and its command line by their names.
    "Kubernetes",
    "kubectl",
}


def allowed_words():
    """The demo's names and Nova's identifiers, as they may appear on a Chinese page."""
    words = set(PRODUCTS) | UNITS
    for model, field in [
        (Host, "name"),
        (Instance, "name"),
        (Project, "name"),
        (Flavor, "name"),
        (Image, "name"),
        (Aggregate, "name"),
        (Cloud, "name"),
        (Host, "hypervisor_type"),
        (Host, "availability_zone"),
        (Host, "cpu_arch"),
        (Cloud, "network_name"),
    ]:
        words |= {str(v) for v in model.objects.values_list(field, flat=True)}
    words |= {"alice", "bob", "ivy", settings.TIME_ZONE, "UTC"}
    # Class sessions and the people in them are named by their teacher and themselves.
    words |= {w for name in ClassSession.objects.values_list("name", flat=True) for w in TOKEN.findall(name)}
    words |= {w for name in Participant.objects.values_list("nickname", flat=True) for w in TOKEN.findall(name)}
    for first, last in get_user_model().objects.values_list("first_name", "last_name"):
        words |= set(TOKEN.findall(f"{first} {last}"))
    # OpenStack's services by their own names (keystone, glance-api, nova-network …).
    words |= set(FLOW_SERVICES)
    # A hover names a figure's source by its authors and year ("Mao & Humphrey 2012").
    words |= {word for source in SOURCES.values() for word in TOKEN.findall(source.short)} | {"et", "al", "man"}
    words |= {v for k, v in vars(lifecycle.VmState).items() if k.isupper()}
    words |= {v for k, v in vars(lifecycle.TaskState).items() if k.isupper()}
    words |= {p.name for p in lifecycle.PowerState}
    words |= {rule.api_name for rule in lifecycle.ACTIONS.values()}
    words |= set(FILTER_NAMES) | set(WEIGHER_NAMES) | {w.removesuffix("Weigher") for w in WEIGHER_NAMES}
    words |= set(SchedulerConfig.__dataclass_fields__) | set(DRIVERS)
    return words


#: The name the other browser tests import it by.
_allowed_words = allowed_words


def _identifier(token, allowed):
    return (
        token in allowed
        or any(c.isdigit() or c in "_:/" for c in token)  # m1.tiny, x86_64, policy names, numbers with units
        or (token.isupper() and len(token) > 1)  # ACTIVE, KVM, RAM, MB: codes and acronyms
        or re.search(r"[a-z][A-Z]", token) is not None  # CamelCase: RamFilter, confirmResize
    )


def _english(text, allowed):
    """The Latin words of ``text`` that are neither a name, a unit nor an identifier."""
    return [t for t in TOKEN.findall(text) if not _identifier(t.strip(".:'-"), allowed)]


def chinese_text_problems(page, allowed):
    """This walk's rule for one page as it stands (other tests check a page in a state the walk
    does not reach): a few kept words inside Chinese, never an English phrase, no half-width
    punctuation beside Chinese, and no text left in English."""
    problems = []
    for item in page.evaluate(TEXTS_JS)["texts"]:
        text = item["text"]
        english = _english(text, allowed)
        if CJK.search(text):
            if re.search(r"(?:[A-Za-z]+[\s,.]+){3,}[A-Za-z]+", " ".join(english)) and len(english) >= 4:
                problems.append(f"English inside Chinese in {item['where']}: {text!r}")
            if HALF_WIDTH.search(text):
                problems.append(f"half-width punctuation in {item['where']}: {text!r}")
        elif english:
            problems.append(f"English {english!r} in {item['where']}: {text!r}")
    return problems


@pytest.mark.timeout(600)
def test_chinese_pages_say_everything_in_chinese(request):
    walk = survey(request, "zh-CN")
    allowed = walk.allowed
    found: dict[str, list[str]] = {}  # a problem: the pages it is on
    assert len(walk.texts) >= 15, f"the walk read only {len(walk.texts)} pages"
    for name, result in walk.texts.items():
        for item in result["texts"]:
            text, label = item["text"], f"{item['kind']} of {item['where']}"
            problems = []
            english = _english(text, allowed)
            if CJK.search(text):
                # Chinese around a few kept words is fine; an English phrase inside it is not.
                if re.search(r"(?:[A-Za-z]+[\s,.]+){3,}[A-Za-z]+", " ".join(english)) and len(english) >= 4:
                    problems.append(f"{label}: English inside Chinese: {text!r}")
                if HALF_WIDTH.search(text):
                    problems.append(f"{label}: half-width punctuation in Chinese: {text!r}")
            elif english:
                problems.append(f"{label}: English {english!r} in {text!r}")
            for problem in problems:
                found.setdefault(problem, []).append(name)
        for bare in result["bare"]:
            found.setdefault(f"Nova's original without its translation beside it: {bare}", []).append(name)
    # Every sentence the cloud records in English, as the pages' script translates it (read on
    # Project → Overview).
    for message, text in zip(RECORDED, walk.recorded, strict=True):
        if not text or not CJK.search(text):
            problem = f"CloudLab.recorded leaves {message!r} untranslated: {text!r}"
            found.setdefault(problem, []).append("project overview")
    report = [f"{problem}  [on {', '.join(dict.fromkeys(pages))}]" for problem, pages in found.items()]
    assert not report, f"{len(report)} texts not in Chinese at {WIDTHS[0]} px (zh-CN):\n  " + "\n  ".join(report)
