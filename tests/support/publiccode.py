"""An offline check of a publiccode.yml against the rules of the standard that need no network.

The rules are those of the standard's text (github.com/publiccodeyml/publiccode.yml, docs/standard/schema.core.rst,
version 0.7) as its reference parser (github.com/italia/publiccode-parser-go, v0.go and validators/) enforces them:
keys known at every level, required keys, types, allowed values (development status, software type, maintenance type,
categories, scopes, aliases), BCP 47 language tags, lengths (counted in characters), dates (YYYY-MM-DD), URL shapes,
SPDX expressions, and the presence rules of maintenance contractors and contacts. Deprecated keys are refused: a new
file has no reason to use them. What needs the network (is the repository reachable, is the logo an image) is left to
the catalogue's own parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

SUPPORTED_VERSIONS = ("0", "0.4", "0.4.0", "0.5", "0.5.0", "0.7", "0.7.0")  # 0.4 or later, as the parser takes them
DEVELOPMENT_STATUS = ("concept", "development", "beta", "stable", "obsolete")
SOFTWARE_TYPES = (
    "standalone/mobile",
    "standalone/iot",
    "standalone/desktop",
    "standalone/web",
    "standalone/backend",
    "standalone/other",
    "addon",
    "library",
    "configurationFiles",
)
MAINTENANCE_TYPES = ("internal", "contract", "community", "none")
ALIASES = ("gdpr", "eidas", "nis2", "cra", "spid", "cie", "anpr", "pagopa", "io")
SCOPES = frozenset(
    "agriculture culture defence education emergency-services employment energy environment "
    "finance-and-economic-development foreign-affairs government healthcare infrastructures justice "
    "local-authorities manufacturing research science-and-technology security society sport tourism "
    "transportation welfare".split()
)
CATEGORIES = frozenset(
    "accounting agile-project-management applicant-tracking application-development appointment-scheduling backup "
    "billing-and-invoicing blog budgeting business-intelligence business-process-management cad "
    "call-center-management cloud-management collaboration communications compliance-management contact-management "
    "content-management crm customer-service-and-support data-analytics data-collection data-visualization design "
    "design-system digital-asset-management digital-citizenship document-management donor-management e-commerce "
    "e-signature educational-content email-management email-marketing employee-management "
    "enterprise-project-management enterprise-social-networking erp event-management facility-management "
    "feedback-and-reviews-management financial-reporting fleet-management fundraising gamification "
    "geographic-information-systems grant-management graphic-design help-desk hr ide identity-management "
    "instant-messaging integrated-library-system inventory-management it-asset-management it-development "
    "it-management it-security it-service-management knowledge-management learning-management-system marketing "
    "mind-mapping mobile-marketing mobile-payment network-management office online-booking online-community "
    "payment-gateway payroll predictive-analysis procurement productivity-suite project-collaboration "
    "project-management property-management real-estate-management regulations-and-directives remote-support "
    "resource-management sales-management seo service-desk social-media-management survey talent-management "
    "task-management taxes-management test-management time-management time-tracking translation "
    "video-conferencing video-editing visitor-management voip warehouse-management web-collaboration "
    "web-conferencing website-builder whistleblowing workflow-management other".split()
)

# Keys of each section: (required, optional). Deprecated keys are in neither, so they are refused as unknown.
TOP_LEVEL = (
    {"publiccodeYmlVersion", "name", "url", "platforms", "developmentStatus", "softwareType", "description"}
    | {"legal", "maintenance", "localisation"},
    {"applicationSuite", "landingURL", "isBasedOn", "softwareVersion", "releaseDate", "logo", "categories"}
    | {"usedBy", "fundedBy", "roadmap", "supports", "intendedAudience", "organisation", "dependsOn"},
)
DESCRIPTION = (
    {"shortDescription", "longDescription"},
    {"localisedName", "documentation", "apiDocumentation", "features", "screenshots", "videos", "awards"},
)
DEPRECATED = {
    "monochromeLogo": "use logo",
    "inputTypes": "drop it",
    "outputTypes": "drop it",
    "genericName": "drop it",
    "repoOwner": "use organisation.name",
    "authorsFile": "drop it",
    "IT": "use supports",
    "it": "use supports",
}

BCP47 = re.compile(
    r"^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$", re.IGNORECASE
)
COUNTRY = re.compile(r"^[A-Z]{2}$")
SPDX_ID = re.compile(r"^(LicenseRef-|DocumentRef-[A-Za-z0-9.-]+:LicenseRef-)?[A-Za-z0-9][A-Za-z0-9.+-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- shapes --------------------------------------------------------------------------------------------------

    def keys(self, path: str, value: Any, spec: tuple[set[str], set[str]]) -> bool:
        """A mapping with every required key and no unknown one. False when it is no mapping at all."""
        if not isinstance(value, Mapping):
            self.fail(path, "must be a mapping")
            return False
        required, optional = spec
        for key in sorted(required - value.keys()):
            self.fail(f"{path}.{key}" if path else key, "is required")
        for key in sorted(set(value) - required - optional, key=str):
            where = f"{path}.{key}" if path else str(key)
            hint = DEPRECATED.get(str(key))
            self.fail(where, f"is deprecated ({hint})" if hint else "is not a key of the standard")
        return True

    def string(self, path: str, value: Any, *, max_len: int | None = None, min_len: int = 1) -> bool:
        if not isinstance(value, str):
            self.fail(path, "must be a string")
            return False
        if len(value) < min_len:
            self.fail(path, f"must be at least {min_len} characters" if min_len > 1 else "must not be empty")
            return False
        if max_len is not None and len(value) > max_len:
            self.fail(path, f"must be at most {max_len} characters (is {len(value)})")
            return False
        return True

    def strings(self, path: str, value: Any, *, non_empty: bool = False) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, "must be a list of strings")
            return []
        if non_empty and not value:
            self.fail(path, "must not be empty")
        return value

    def one_of(self, path: str, value: Any, allowed: tuple[str, ...] | frozenset[str]) -> None:
        if not isinstance(value, str) or value not in allowed:
            self.fail(path, f"must be one of {', '.join(sorted(allowed))} (is {value!r})")

    def boolean(self, path: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")

    def date(self, path: str, value: Any) -> None:
        """YYYY-MM-DD and a real day. An unquoted date is a date to YAML 1.1 (PyYAML) and a string to YAML 1.2."""
        text = value.isoformat() if isinstance(value, date) else value
        if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            self.fail(path, "must be a date YYYY-MM-DD")
            return
        try:
            date.fromisoformat(text)
        except ValueError:
            self.fail(path, f"{text} is not a day of the calendar")

    def url(self, path: str, value: Any, *, web: bool = False) -> None:
        """A URL with a scheme and a host; ``web``: http or https (the parser's http_url)."""
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or not parts.scheme or not parts.netloc or any(c.isspace() for c in value):
            self.fail(path, "must be a URL with a scheme and a host")
        elif web and parts.scheme not in ("http", "https"):
            self.fail(path, "must be an http(s) URL")

    def uri(self, path: str, value: Any) -> None:
        """An absolute URL, or a URN (urn:<nid>:<nss>)."""
        if isinstance(value, str) and re.fullmatch(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+", value, re.IGNORECASE):
            return
        self.url(path, value)

    def spdx(self, path: str, value: Any) -> None:
        """An SPDX license expression: ids joined by AND / OR (WITH an exception), in balanced parentheses."""
        if not self.string(path, value):
            return
        tokens = re.findall(r"\(|\)|[^\s()]+", value)
        depth, expect_operand = 0, True
        for i, token in enumerate(tokens):
            if token == "(" and expect_operand:
                depth += 1
            elif token == ")" and not expect_operand and depth > 0:
                depth -= 1
            elif token in ("AND", "OR", "WITH") and not expect_operand:
                expect_operand = True
            elif expect_operand and token not in ("AND", "OR", "WITH", "(", ")") and SPDX_ID.match(token):
                expect_operand = False
            else:
                self.fail(path, f"is not an SPDX expression (at {token!r}, token {i + 1})")
                return
        if expect_operand or depth:
            self.fail(path, "is not an SPDX expression (incomplete)")

    def each(self, path: str, value: Any, check: Callable[[str, Any], None]) -> None:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return
        for i, item in enumerate(value):
            check(f"{path}[{i}]", item)


def problems(doc: Any) -> list[str]:
    """Every rule ``doc`` (a parsed publiccode.yml) breaks, as "key.path: what is wrong"; empty when it passes."""
    c = Checker()
    if not c.keys("", doc, TOP_LEVEL):
        return c.problems
    get = doc.get
    if "publiccodeYmlVersion" in doc:
        version = get("publiccodeYmlVersion")
        if not isinstance(version, str):
            c.fail("publiccodeYmlVersion", "must be a string (quote it)")
        else:
            c.one_of("publiccodeYmlVersion", version, SUPPORTED_VERSIONS)
    for key in ("name", "applicationSuite", "softwareVersion", "logo"):
        if key in doc:
            c.string(key, get(key))
    if "url" in doc:
        c.url("url", get("url"))
    for key in ("landingURL", "roadmap"):
        if key in doc:
            c.url(key, get(key), web=True)
    if "isBasedOn" in doc:
        based = get("isBasedOn")
        c.each("isBasedOn", based if isinstance(based, list) else [based], c.url)
    if "releaseDate" in doc:
        c.date("releaseDate", get("releaseDate"))
    if "platforms" in doc:  # the listed values are suggestions; other human-readable ones are allowed
        platforms = get("platforms")
        c.strings("platforms", platforms if isinstance(platforms, list) else [platforms], non_empty=True)
    for i, category in enumerate(c.strings("categories", get("categories", []))):
        c.one_of(f"categories[{i}]", category, CATEGORIES)
    c.strings("usedBy", get("usedBy", []))
    if "fundedBy" in doc:
        c.each("fundedBy", get("fundedBy"), lambda p, v: _organisation(c, p, v, name_required=True))
    if "organisation" in doc:
        _organisation(c, "organisation", get("organisation"), name_required=False)
    if "developmentStatus" in doc:
        c.one_of("developmentStatus", get("developmentStatus"), DEVELOPMENT_STATUS)
    if "softwareType" in doc:
        c.one_of("softwareType", get("softwareType"), SOFTWARE_TYPES)
    if "supports" in doc:
        c.each("supports", get("supports"), lambda p, v: _support(c, p, v))
    if "intendedAudience" in doc:
        _audience(c, get("intendedAudience"))
    if "description" in doc:
        _description(c, get("description"))
    if "legal" in doc and c.keys("legal", get("legal"), ({"license"}, {"mainCopyrightOwner"})):
        c.spdx("legal.license", doc["legal"].get("license"))
        if "mainCopyrightOwner" in doc["legal"]:
            c.string("legal.mainCopyrightOwner", doc["legal"]["mainCopyrightOwner"])
    if "maintenance" in doc:
        _maintenance(c, get("maintenance"))
    if "localisation" in doc:
        loc = get("localisation")
        if c.keys("localisation", loc, ({"localisationReady", "availableLanguages"}, set())):
            c.boolean("localisation.localisationReady", loc.get("localisationReady"))
            languages = c.strings("localisation.availableLanguages", loc.get("availableLanguages"), non_empty=True)
            for i, tag in enumerate(languages):
                if not BCP47.match(tag):
                    c.fail(f"localisation.availableLanguages[{i}]", f"{tag!r} is not a BCP 47 language tag")
    if "dependsOn" in doc:
        deps = get("dependsOn")
        if c.keys("dependsOn", deps, (set(), {"open", "proprietary", "hardware"})):
            for kind in ("open", "proprietary", "hardware"):
                if kind in deps:
                    c.each(f"dependsOn.{kind}", deps[kind], lambda p, v: _dependency(c, p, v))
    return c.problems


def _organisation(c: Checker, path: str, value: Any, *, name_required: bool) -> None:
    required = {"name", "uri"} if name_required else {"uri"}
    if c.keys(path, value, (required, {"name", "uri"} - required)):
        if "name" in value:
            c.string(f"{path}.name", value["name"])
        if "uri" in value:
            c.uri(f"{path}.uri", value["uri"])


def _support(c: Checker, path: str, value: Any) -> None:
    if not c.keys(path, value, ({"id"}, set())):
        return
    ident = value.get("id")
    if isinstance(ident, str) and ident.startswith("alias:"):
        c.one_of(f"{path}.id", ident.removeprefix("alias:"), ALIASES)
    else:
        c.uri(f"{path}.id", ident)


def _audience(c: Checker, value: Any) -> None:
    if not c.keys("intendedAudience", value, (set(), {"scope", "countries", "unsupportedCountries"})):
        return
    for i, scope in enumerate(c.strings("intendedAudience.scope", value.get("scope", []))):
        c.one_of(f"intendedAudience.scope[{i}]", scope, SCOPES)
    for key in ("countries", "unsupportedCountries"):
        for i, country in enumerate(c.strings(f"intendedAudience.{key}", value.get(key, []))):
            if not COUNTRY.match(country):
                c.fail(f"intendedAudience.{key}[{i}]", f"{country!r} is not an upper-case ISO 3166-1 alpha-2 code")


def _description(c: Checker, value: Any) -> None:
    if not isinstance(value, Mapping) or not value:
        c.fail("description", "must hold at least one language")
        return
    with_features = 0
    for lang, text in value.items():
        path = f"description.{lang}"
        if not isinstance(lang, str) or not BCP47.match(lang):
            c.fail(path, f"{lang!r} is not a BCP 47 language tag")
        if not c.keys(path, text, DESCRIPTION):
            continue
        if "shortDescription" in text:
            c.string(f"{path}.shortDescription", text["shortDescription"], max_len=150)
        if "longDescription" in text:
            c.string(f"{path}.longDescription", text["longDescription"], min_len=150, max_len=10_000)
        if "localisedName" in text:
            c.string(f"{path}.localisedName", text["localisedName"])
        for key in ("documentation", "apiDocumentation"):
            if key in text:
                c.url(f"{path}.{key}", text[key], web=True)
        if "features" in text:
            with_features += 1
            c.strings(f"{path}.features", text["features"], non_empty=True)
        c.strings(f"{path}.screenshots", text.get("screenshots", []))
        c.strings(f"{path}.awards", text.get("awards", []))
        c.each(f"{path}.videos", text.get("videos", []), lambda p, v: c.url(p, v, web=True))
    if not with_features:
        c.fail("description", "features are required for at least one language")


def _maintenance(c: Checker, value: Any) -> None:
    if not c.keys("maintenance", value, ({"type"}, {"contractors", "contacts"})):
        return
    kind = value.get("type")
    c.one_of("maintenance.type", kind, MAINTENANCE_TYPES)
    if kind == "contract" and "contractors" not in value:
        c.fail("maintenance.contractors", "is required when maintenance.type is contract")
    if kind != "contract" and "contractors" in value:
        c.fail("maintenance.contractors", "must be absent unless maintenance.type is contract")
    if kind in ("internal", "community") and not value.get("contacts"):
        c.fail("maintenance.contacts", f"is required when maintenance.type is {kind}")
    if "contractors" in value:
        c.each("maintenance.contractors", value["contractors"], lambda p, v: _contractor(c, p, v))
    if "contacts" in value:
        c.each("maintenance.contacts", value["contacts"], lambda p, v: _contact(c, p, v))


def _contractor(c: Checker, path: str, value: Any) -> None:
    if c.keys(path, value, ({"name", "until"}, {"email", "website"})):
        c.string(f"{path}.name", value.get("name"))
        c.date(f"{path}.until", value.get("until"))
        if "email" in value and not (isinstance(value["email"], str) and EMAIL.match(value["email"])):
            c.fail(f"{path}.email", "must be an e-mail address")
        if "website" in value:
            c.url(f"{path}.website", value["website"], web=True)


def _contact(c: Checker, path: str, value: Any) -> None:
    if c.keys(path, value, ({"name"}, {"email", "phone", "affiliation"})):
        c.string(f"{path}.name", value.get("name"))
        if "email" in value and not (isinstance(value["email"], str) and EMAIL.match(value["email"])):
            c.fail(f"{path}.email", "must be an e-mail address")
        for key in ("phone", "affiliation"):
            if key in value:
                c.string(f"{path}.{key}", value[key])


def _dependency(c: Checker, path: str, value: Any) -> None:
    if c.keys(path, value, ({"name"}, {"versionMin", "versionMax", "version", "optional"})):
        c.string(f"{path}.name", value.get("name"))
        for key in ("versionMin", "versionMax", "version"):
            if key in value:
                c.string(f"{path}.{key}", value[key])  # "15", not 15: a version is text
        if "optional" in value:
            c.boolean(f"{path}.optional", value["optional"])
