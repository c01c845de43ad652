"""Names, labels, selectors and quantities (kubernetes-semantics.md §5, §1.7).

Cases follow apimachinery's own tests where they exist: ``TestIsDNS1123Subdomain``,
``TestIsQualifiedName``, ``TestIsValidLabelValue`` (util/validation/validation_test.go),
``TestSelectorParse`` / ``TestLexer`` / ``TestRequirementConstructor`` (labels/selector_test.go)
and ``TestQuantityParse`` (api/resource/quantity_test.go).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from cloudlab.engine.kubernetes import quantity, selectors, validation
from cloudlab.engine.kubernetes.objects import Taint, Toleration
from cloudlab.engine.kubernetes.selectors import LabelSelector, LabelSelectorRequirement

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize("good", ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "a.a", "1.2.3", "a" * 253])
def test_dns1123_subdomain_accepts(good: str) -> None:
    assert validation.is_dns1123_subdomain(good) == []


@pytest.mark.parametrize(
    "bad", ["", "A", "ABC", "aBc", "A1", "-", "a-", "-a", "1-", "_", "a_", "a..a", ".a", "a.", "a@b", "Bad_Name"]
)
def test_dns1123_subdomain_rejects_with_kubernetes_message(bad: str) -> None:
    assert validation.is_dns1123_subdomain(bad) == [SUBDOMAIN_MSG]


def test_lengths() -> None:
    assert validation.is_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]
    assert validation.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert validation.is_dns1123_label("a.b") == [LABEL_MSG]


def test_dns1035_label_must_start_with_a_letter() -> None:
    assert validation.is_dns1035_label("web") == []
    (msg,) = validation.is_dns1035_label("1web")
    assert msg.startswith(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character"
    )
    assert "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')" in msg


def test_invalid_name_status_is_the_422_kubectl_prints() -> None:
    errs = validation.validate_name("Bad_Name")
    assert str(errs[0]) == f'metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}'
    status = validation.invalid_status("Pod", "Bad_Name", errs)
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["message"] == f'Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": {SUBDOMAIN_MSG}'
    assert status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": f'Invalid value: "Bad_Name": {SUBDOMAIN_MSG}',
            "field": "metadata.name",
        }
    ]
    assert str(validation.validate_name("")[0]) == "metadata.name: Required value: name or generateName is required"
    assert validation.validate_name("ns.x", rule="label")[0].detail == LABEL_MSG


@pytest.mark.parametrize(
    "good",
    [
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "1234",
        "simple/simple",
        "now-with-dashes/simple",
        "now-with-dashes/now-with-dashes",
        "now.with.dots/simple",
        "now-with.dashes-and.dots/simple",
        "1-num.2-num/3-num",
        "1234/5678",
        "1.2.3.4/5678",
        "Uppercase_Is_OK_123",
        "example.com/Uppercase_Is_OK_123",
        "requests.storage-foo",
        "a" * 63,
        "a" * 253 + "/" + "b" * 63,
    ],
)
def test_qualified_names_accepted(good: str) -> None:
    assert validation.is_qualified_name(good) == []


def test_qualified_name_messages() -> None:
    assert validation.is_qualified_name("/simple") == ["prefix part must be non-empty"]
    assert validation.is_qualified_name("a" * 64)[0] == "name part must be no more than 63 characters"
    assert validation.is_qualified_name("Example.com/x")[0].startswith("prefix part a lowercase RFC 1123 subdomain")
    (many,) = validation.is_qualified_name("a/b/c")
    assert many.startswith("a qualified name must consist of alphanumeric characters") and many.endswith(
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    )
    assert validation.is_qualified_name("x/") == [
        "name part must be non-empty",
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "  # noqa: E501
        "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",  # noqa: E501
    ]


def test_label_values() -> None:
    for good in ["", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "a" * 63]:
        assert validation.is_valid_label_value(good) == []
    for bad in ["nospecialchars%^=@", "Tama-nui-te-rā.is_Māori.jpg", "-starts", "ends-", "a b"]:
        assert validation.is_valid_label_value(bad) == [VALUE_MSG]
    assert validation.is_valid_label_value("a" * 64) == ["must be no more than 63 characters"]
    errs = validation.validate_labels({"app": "we b"})
    assert str(errs[0]) == f'metadata.labels[app]: Invalid value: "we b": {VALUE_MSG}'


# -- selectors (labels/selector_test.go TestSelectorParse, TestSelectorMatches) -----------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", ""),
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("x!=a,y=b", "x!=a,y=b"),
        ("x=,z= ", "x=,z="),
        ("x= ,z= ", "x=,z="),
        ("!x", "!x"),
        ("x>1", "x>1"),
        ("x<7", "x<7"),
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("z in (b,a),!w", "!w,z in (a,b)"),
        ("x==a", "x==a"),
    ],
)
def test_selector_parse(text: str, shown: str) -> None:
    assert str(selectors.parse(text)) == shown


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x=(", "unable to parse requirement: found '(', expected: identifier"),
        ("x==a==b", "found '==', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        ("x=a,", "found '', expected: identifier after ','"),
        (",x=a", "found ',', expected: !, identifier, or 'end of string'"),
        ("x in a", "unable to parse requirement: found 'a' expected: '('"),
        ("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
        (
            "x>a",
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",  # noqa: E501
        ),
    ],
)
def test_selector_parse_errors(text: str, error: str) -> None:
    with pytest.raises(selectors.SelectorError) as info:
        selectors.parse(text)
    assert str(info.value) == error


def test_selector_key_error_prints_nil_path() -> None:
    with pytest.raises(selectors.SelectorError) as info:
        selectors.parse("a/b/c=x")
    assert str(info.value).startswith('unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name')


def test_selector_matches() -> None:
    labels = {"app": "web", "tier": "frontend"}
    assert selectors.parse("app=web,tier in (frontend,backend)").matches(labels)
    assert selectors.parse("env!=prod").matches(labels)  # != matches a missing key
    assert selectors.parse("env notin (prod)").matches(labels)
    assert not selectors.parse("env in (prod)").matches(labels)
    assert not selectors.parse("!app").matches(labels)
    assert selectors.parse("app").matches(labels)
    assert selectors.parse("").matches(labels)
    assert selectors.parse("n>2").matches({"n": "3"}) and not selectors.parse("n>2").matches({"n": "x"})


def test_label_selector_object() -> None:
    assert selectors.label_selector_as_selector(None).matches({}) is False  # nil matches nothing
    assert LabelSelector().matches({"a": "b"})  # empty matches everything
    ls = LabelSelector(
        {"app": "web"},
        [LabelSelectorRequirement("tier", "NotIn", ["db"]), LabelSelectorRequirement("canary", "DoesNotExist")],
    )
    assert ls.matches({"app": "web", "tier": "fe"})
    assert not ls.matches({"app": "web", "tier": "db"})
    assert not ls.matches({"app": "web", "canary": "1"})
    assert str(ls.as_selector()) == "app=web,!canary,tier notin (db)"
    bad = LabelSelector(
        {},
        [
            LabelSelectorRequirement("x", "In"),
            LabelSelectorRequirement("y", "Exists", ["1"]),
            LabelSelectorRequirement("z", "Near", ["1"]),
        ],
    )
    shown = [str(e) for e in selectors.validate_label_selector(bad, "spec.selector")]
    assert shown == [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",  # noqa: E501
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",  # noqa: E501
        'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ]


# -- quantities (api/resource/quantity_test.go TestQuantityParse) -------------------------------


@pytest.mark.parametrize(
    ("text", "milli", "value"),
    [
        ("100m", 100, 1),
        ("0.5", 500, 1),
        ("1", 1000, 1),
        ("2", 2000, 2),
        ("1.5m", 2, 1),
        ("128Mi", 128 * 2**20 * 1000, 128 * 2**20),
        ("1Gi", 2**30 * 1000, 2**30),
        ("1G", 10**9 * 1000, 10**9),
        ("1k", 10**6, 1000),
        ("1e3", 10**6, 1000),
        ("1E-3", 1, 1),
        ("-1", -1000, -1),
        (".5Ki", 512000, 512),
        ("0", 0, 0),
    ],
)
def test_quantity_parse(text: str, milli: int, value: int) -> None:
    q = quantity.parse_quantity(text)
    assert q.milli_value() == milli
    assert q.value() == value


def test_quantity_is_exact() -> None:
    assert quantity.parse_quantity("0.1").amount == Fraction(1, 10)
    assert quantity.resource_amount("cpu", "250m") == 250
    assert quantity.resource_amount("memory", "512Mi") == 536870912
    assert quantity.format_amount("cpu", 1500) == "1500m" and quantity.format_amount("memory", 536870912) == "512Mi"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", quantity.ERR_FORMAT_WRONG),
        ("abc", quantity.ERR_FORMAT_WRONG),
        ("1.2.3", quantity.ERR_FORMAT_WRONG),
        ("1Qi", quantity.ERR_FORMAT_WRONG),
        ("1KiB", quantity.ERR_FORMAT_WRONG),
        ("1mm", quantity.ERR_SUFFIX),
        ("1ki", quantity.ERR_SUFFIX),
    ],
)
def test_quantity_errors(text: str, error: str) -> None:
    with pytest.raises(quantity.QuantityError) as info:
        quantity.parse_quantity(text)
    assert str(info.value) == error


def test_toleration_matching() -> None:
    taint = Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")
    assert Toleration(key="node-role.kubernetes.io/control-plane", operator="Exists").tolerates(taint)
    assert Toleration(operator="Exists").tolerates(taint)  # empty key + Exists tolerates everything
    assert not Toleration(key="node-role.kubernetes.io/control-plane", operator="Exists", effect="NoExecute").tolerates(
        taint
    )
    assert Toleration(key="k", value="v").tolerates(Taint("k", "v", "NoExecute"))
    assert not Toleration(key="k", value="w").tolerates(Taint("k", "v"))
