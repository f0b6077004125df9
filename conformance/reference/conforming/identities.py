"""The fixed cast of one reference server instance: its organization, users, session tokens and templates.

Everything random (uuids, token secrets) is generated once per instance with ``secrets``/``uuid4``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import uuid
from dataclasses import dataclass, field

TOKEN_ID_LENGTH = 10
TOKEN_SECRET_LENGTH = 22
_ALPHANUMERIC = string.ascii_letters + string.digits


def _random_alphanumeric(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def _hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Organization:
    id: str
    name: str


@dataclass(frozen=True)
class SessionToken:
    """A Coder-format session token ``<10-char id>-<22-char secret>``; only the secret's hash is compared."""

    key_id: str
    secret: str = field(repr=False)

    @property
    def value(self) -> str:
        return f"{self.key_id}-{self.secret}"

    def secret_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(_hash_secret(candidate), _hash_secret(self.secret))

    @classmethod
    def generate(cls) -> SessionToken:
        return cls(_random_alphanumeric(TOKEN_ID_LENGTH), _random_alphanumeric(TOKEN_SECRET_LENGTH))


@dataclass(frozen=True)
class User:
    id: str
    username: str
    is_owner: bool
    token: SessionToken = field(repr=False)
    avatar_url: str = ""


@dataclass(frozen=True)
class TemplateVersion:
    id: str
    has_ai_task: bool
    preset_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    display_name: str
    icon: str
    organization_id: str
    version: TemplateVersion


def _new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Identities:
    """The organization, the three users (admin owner, members alice and bob) and the two templates."""

    org: Organization
    users: dict[str, User]
    templates: dict[str, Template]

    @classmethod
    def create(cls) -> Identities:
        org = Organization(id=_new_uuid(), name="coder")
        users = {
            name: User(
                id=_new_uuid(), username=name, is_owner=(name == "admin"), token=SessionToken.generate()
            )
            for name in ("admin", "alice", "bob")
        }
        ai_version = TemplateVersion(id=_new_uuid(), has_ai_task=True, preset_ids=(_new_uuid(),))
        plain_version = TemplateVersion(id=_new_uuid(), has_ai_task=False)
        templates = {
            "ai-tasks": Template(
                id=_new_uuid(),
                name="ai-tasks",
                display_name="AI Tasks",
                icon="/icon/tasks.svg",
                organization_id=org.id,
                version=ai_version,
            ),
            "plain": Template(
                id=_new_uuid(),
                name="plain",
                display_name="Plain Workspace",
                icon="/icon/code.svg",
                organization_id=org.id,
                version=plain_version,
            ),
        }
        return cls(org=org, users=users, templates=templates)

    @property
    def admin(self) -> User:
        return self.users["admin"]

    @property
    def alice(self) -> User:
        return self.users["alice"]

    @property
    def bob(self) -> User:
        return self.users["bob"]

    @property
    def ai_template(self) -> Template:
        return self.templates["ai-tasks"]

    @property
    def plain_template(self) -> Template:
        return self.templates["plain"]

    @property
    def preset_id(self) -> str:
        return self.ai_template.version.preset_ids[0]

    def user_by_token_id(self, key_id: str) -> User | None:
        for user in self.users.values():
            if hmac.compare_digest(user.token.key_id.encode(), key_id.encode("utf-8", "surrogatepass")):
                return user
        return None

    def user_by_id(self, user_id: str) -> User | None:
        wanted = user_id.lower()
        return next((u for u in self.users.values() if u.id == wanted), None)

    def user_by_name(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self.users.values() if u.username == wanted), None)

    def resolve_user(self, ref: str, caller: User) -> User | None:
        """A ``{user}`` reference: ``me``, a user uuid, or a username (case-insensitive)."""
        if ref.lower() == "me":
            return caller
        parsed = parse_uuid(ref)
        if parsed is not None:
            return self.user_by_id(parsed)
        return self.user_by_name(ref)

    def template_version(self, version_id: str) -> Template | None:
        """The template owning a version id, or None."""
        return next((t for t in self.templates.values() if t.version.id == version_id), None)

    def organization_by_name(self, name: str) -> Organization | None:
        return self.org if name.lower() == self.org.name else None


_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(text: str) -> str | None:
    """The canonical lowercase form of a hyphenated 36-character uuid, or None."""
    if _UUID_RE.fullmatch(text) is None:
        return None
    return text.lower()
