"""The evidence checklist of an aanvraag bijzondere bijstand (convenant §2.2): the benoemingsbeschikking, the nota
periodieke kosten, and a CAK-nota when the client lives in a beschermde woonvorm or Wlz-instelling. Each item is
linked to one of the case's own documents of that type (not withdrawn); the application is refused while an item
is missing. The links are stored per milestone (``case_milestone_evidence``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.cases.milestones import EvidenceLookup, K, MilestoneKind
from hub.cases.models import CaseMilestoneEvidence

BESCHERMD_WONEN_FIELD = "beschermd_wonen"
BESCHERMD_WONEN_LABEL = "Cliënt woont in een beschermde woonvorm of Wlz-instelling"


class EvidenceItem(StrEnum):
    """An item of the checklist; its value is the hub.documents.models.DocumentType value of its document."""

    BENOEMINGSBESCHIKKING = "benoemingsbeschikking"
    NOTA_PERIODIEKE_KOSTEN = "nota_periodieke_kosten"
    CAK_NOTA = "cak_nota"

    @property
    def label(self) -> str:
        return {
            "benoemingsbeschikking": "Benoemingsbeschikking",
            "nota_periodieke_kosten": "Nota periodieke kosten",
            "cak_nota": "CAK-nota",
        }[self.value]

    @property
    def field(self) -> str:
        """The form field (and error key) that names this item's document."""
        return f"evidence_{self.value}"


CHECKLIST_FIELDS = tuple(item.field for item in EvidenceItem)


def has_checklist(kind: MilestoneKind) -> bool:
    return kind is K.AANVRAAG_BIJSTAND


def required_items(beschermd_wonen: bool) -> tuple[EvidenceItem, ...]:
    base = (EvidenceItem.BENOEMINGSBESCHIKKING, EvidenceItem.NOTA_PERIODIEKE_KOSTEN)
    return (*base, EvidenceItem.CAK_NOTA) if beschermd_wonen else base


async def check_checklist(
    db: AsyncSession,
    lookup: EvidenceLookup,
    case_id: str,
    chosen: Mapping[str, str],
    *,
    beschermd_wonen: bool,
) -> tuple[dict[EvidenceItem, str], dict[str, str]]:
    """The links to store (item → document id) and the Dutch errors by form field. ``chosen``: document ids by item
    value. Every required item needs a document of the case of its type that is not withdrawn; an optional item
    (the CAK-nota without beschermd wonen) is linked when one is given, and checked the same way."""
    needed = required_items(beschermd_wonen)
    links: dict[EvidenceItem, str] = {}
    errors: dict[str, str] = {}
    for item in EvidenceItem:
        document_id = chosen.get(item.value, "").strip()
        if not document_id:
            if item in needed:
                why = (
                    " (de cliënt woont in een beschermde woonvorm of Wlz-instelling)"
                    if item is EvidenceItem.CAK_NOTA
                    else ""
                )
                errors[item.field] = f"Het bewijs is niet compleet: de {item.label.lower()} ontbreekt{why}."
            continue
        doc_type = await lookup(db, case_id, document_id) if len(document_id) <= 32 else None
        if doc_type is None:
            errors[item.field] = "Kies een document van dit dossier dat niet is ingetrokken."
        elif doc_type != item.value:
            errors[item.field] = f"Kies een document van de soort {item.label.lower()}."
        else:
            links[item] = document_id
    return links, errors


def store_links(db: AsyncSession, milestone_id: str, links: Mapping[EvidenceItem, str]) -> None:
    for item, document_id in links.items():
        db.add(CaseMilestoneEvidence(milestone_id=milestone_id, item=item.value, document_id=document_id))


async def links_of(db: AsyncSession, milestone_ids: Iterable[str]) -> dict[str, dict[EvidenceItem, str]]:
    """Per milestone its checklist: item → document id."""
    ids = list(milestone_ids)
    if not ids:
        return {}
    rows = await db.execute(select(CaseMilestoneEvidence).where(col(CaseMilestoneEvidence.milestone_id).in_(ids)))
    found: dict[str, dict[EvidenceItem, str]] = {}
    for link in rows.scalars():
        found.setdefault(link.milestone_id, {})[EvidenceItem(link.item)] = link.document_id
    return found
