"""``{% load words %}``: ``{% page_words %}`` hands a page's scripts the shared words (the eras'
names, Nova's messages and their translations; see dashboard/words.py) as ``#cloudlab-words``,
``{{ code|era_label }}`` names an era in the reader's language, and ``{{ name|breaks_at_underscores }}``
lets a long nova.conf option (hypervisor_version_weight_multiplier) wrap between its words only."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape, json_script
from django.utils.safestring import SafeString, mark_safe

from cloudlab.dashboard import words

register = template.Library()


@register.simple_tag
def page_words() -> SafeString:
    return json_script(words.page_words(), "cloudlab-words")


@register.filter(name="era_label")
def era_label(code: str) -> str:
    return words.era_labels().get(code, code)


@register.filter(name="breaks_at_underscores")
def breaks_at_underscores(name: str) -> SafeString:
    return mark_safe(conditional_escape(name).replace("_", "_<wbr>"))  # noqa: S308 - escaped first
