"""The routekaart's contacts per topic: who at an organisation is the contact for schuldhulp, bijzondere bijstand
and uitstroom. For the convenant itself the organisation's fixed contact person and address apply
(``organisation.contact_*``, §1a); a topic without its own contact falls back to them. Each organisation keeps its
own, and confirms them together with its fixed contact at least once a year."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from sqlalchemy import delete, select
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.email_rule import valid_email


class ContactTopic(StrEnum):
    SCHULDHULP = "schuldhulp"
    BIJZONDERE_BIJSTAND = "bijzondere_bijstand"
    UITSTROOM = "uitstroom"

    @property
    def label(self) -> str:
        return {
            "schuldhulp": "Schuldhulpverlening (§2.3)",
            "bijzondere_bijstand": "Bijzondere bijstand (§2.2)",
            "uitstroom": "Uitstroom en nazorg (§2.5, §2.6)",
        }[self.value]


class TopicContact(SQLModel, table=True):
    __tablename__ = "topic_contact"

    organisation_id: str = Field(foreign_key="organisation.id", primary_key=True, max_length=32)
    topic: str = Field(primary_key=True, max_length=30)  # ContactTopic
    person: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str = Field(default="", max_length=40)


Entry = tuple[str, str, str]  # person, email, phone


def field_name(topic: ContactTopic, part: str) -> str:
    """The form field of one part (person, email, phone) of a topic's contact."""
    return f"{topic.value}_{part}"


def check(entries: Mapping[ContactTopic, Entry]) -> dict[str, str]:
    """Dutch messages per form field; a topic left wholly empty has no contact of its own (the fixed one applies)."""
    errors: dict[str, str] = {}
    for topic, (person, email, phone) in entries.items():
        person, email, phone = person.strip(), email.strip(), phone.strip()
        if not (person or email or phone):
            continue
        if not person:
            errors[field_name(topic, "person")] = f"Vul de naam van de contactpersoon voor {topic.label} in."
        elif len(person) > 200:
            errors[field_name(topic, "person")] = "Deze naam is te lang: gebruik hoogstens 200 tekens."
        if not valid_email(email):
            errors[field_name(topic, "email")] = f"Vul een geldig e-mailadres voor {topic.label} in."
        if len(phone) > 40:
            errors[field_name(topic, "phone")] = "Het telefoonnummer is te lang."
    return errors


async def contacts_of(db: AsyncSession, organisation_ids: Iterable[str]) -> dict[str, dict[ContactTopic, TopicContact]]:
    """Per organisation its contacts per topic (only the topics it named)."""
    found: dict[str, dict[ContactTopic, TopicContact]] = {}
    ids = sorted(set(organisation_ids))
    if ids:
        rows = await db.execute(select(TopicContact).where(col(TopicContact.organisation_id).in_(ids)))
        for row in rows.scalars():
            found.setdefault(row.organisation_id, {})[ContactTopic(row.topic)] = row
    return found


async def replace(db: AsyncSession, organisation_id: str, entries: Mapping[ContactTopic, Entry]) -> bool:
    """Make the organisation's contacts per topic these (checked by :func:`check` first); True when they changed."""
    existing = (await contacts_of(db, [organisation_id])).get(organisation_id, {})
    before = {t: (c.person, c.email, c.phone) for t, c in existing.items()}
    after = {
        topic: (person.strip(), email.strip().lower(), phone.strip())
        for topic, (person, email, phone) in entries.items()
        if person.strip() or email.strip() or phone.strip()
    }
    if before == after:
        return False
    await db.execute(delete(TopicContact).where(col(TopicContact.organisation_id) == organisation_id))
    for topic, (person, email, phone) in after.items():
        row = TopicContact(organisation_id=organisation_id, topic=topic.value, person=person, email=email, phone=phone)
        db.add(row)
    await db.flush()
    return True
