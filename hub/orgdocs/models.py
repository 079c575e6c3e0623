"""Organisation documents: documents in the vault that belong to no case.

- the signed convenant (a PDF), uploaded by the contractmanager of its gemeente, read by both of its parties;
- the quality documents of convenant §3 (decharge, kwaliteitsverklaring), uploaded by a kantoor, read by the
  kantoor and by the contractmanager of every gemeente it has a convenant with.

The content, its encryption, scanning and withdrawal are the vault's (hub.documents): each is a ``document`` row with
``case_id`` NULL (its ``party_ids`` is then empty, so no case route ever hands it out). This small link table says
whose it is: the convenant, or (``convenant_id`` NULL) the kantoor of ``document.kantoor_id``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field, SQLModel


class OrgDocKind(StrEnum):
    """The ``document.doc_type`` of an organisation document (never offered for a case)."""

    CONVENANT = "convenant"
    DECHARGE = "decharge"
    KWALITEITSVERKLARING = "kwaliteitsverklaring"

    @property
    def label(self) -> str:
        return {
            "convenant": "Ondertekend convenant",
            "decharge": "Decharge van de rechtbank",
            "kwaliteitsverklaring": "Kwaliteitsverklaring",
        }[self.value]


# The quality documents of §3, in the order the pages show them.
QUALITY_KINDS: tuple[OrgDocKind, ...] = (OrgDocKind.KWALITEITSVERKLARING, OrgDocKind.DECHARGE)


class OrganisationDocument(SQLModel, table=True):
    __tablename__ = "organisation_document"

    document_id: str = Field(foreign_key="document.id", primary_key=True, max_length=32)
    # The signed convenant's convenant; None for a kantoor's quality document.
    convenant_id: str | None = Field(default=None, foreign_key="convenant.id", index=True, max_length=32)
    valid_until: date | None = None  # a kwaliteitsverklaring's last valid day
