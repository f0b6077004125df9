"""The cast of one reference server instance: its organization, users, session tokens and templates.

Everything random (uuids, token secrets, the suffix of a generated task name) is drawn from the instance's
``Randomness``: ``secrets`` by default; a ``random.Random`` of a given seed draws the same values, in the same
order, on every start (``mark`` and ``rewind`` go back to a point of that sequence).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

TOKEN_ID_LENGTH = 10
TOKEN_SECRET_LENGTH = 22
_ALPHANUMERIC = string.ascii_letters + string.digits
# The rich parameter an AI template's version declares for the task's prompt (codersdk/aitasks.go
# ``AITaskPromptParameterName``, the terraform provider's ``TaskPromptParameterName``).
AI_PROMPT_PARAMETER = "AI Prompt"


class Randomness:
    """Where the instance's random values come from: ``secrets`` (``seed`` None) or ``random.Random(seed)``."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._random = random.Random(seed) if seed is not None else None
        self._marked: Any = None

    def choice(self, options: Sequence[T]) -> T:
        return self._random.choice(options) if self._random is not None else secrets.choice(options)

    def alphanumeric(self, length: int) -> str:
        return "".join(self.choice(_ALPHANUMERIC) for _ in range(length))

    def uuid(self) -> str:
        """A version-4 uuid."""
        if self._random is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def mark(self) -> None:
        """Remember this point of the sequence (seeded only)."""
        self._marked = self._random.getstate() if self._random is not None else None

    def rewind(self) -> None:
        """Draw again from the marked point (seeded only)."""
        if self._random is not None and self._marked is not None:
            self._random.setstate(self._marked)


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
    def generate(cls, randomness: Randomness | None = None) -> SessionToken:
        randomness = randomness if randomness is not None else Randomness()
        return cls(randomness.alphanumeric(TOKEN_ID_LENGTH), randomness.alphanumeric(TOKEN_SECRET_LENGTH))


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
    parameters: tuple[str, ...] = ()  # the names of its rich parameters (all strings)


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    display_name: str
    icon: str
    organization_id: str
    version: TemplateVersion


@dataclass(frozen=True)
class Identities:
    """The organization, the three users (admin owner, members alice and bob) and the two templates; more users
    and templates may join (``add_user``, ``add_template``) and leave again (``restart``)."""

    org: Organization
    users: dict[str, User]
    templates: dict[str, Template]
    randomness: Randomness = field(default_factory=Randomness, repr=False, compare=False)

    @classmethod
    def create(cls, randomness: Randomness | None = None) -> Identities:
        randomness = randomness if randomness is not None else Randomness()
        org = Organization(id=randomness.uuid(), name="coder")
        cast = cls(org=org, users={}, templates={}, randomness=randomness)
        for name in ("admin", "alice", "bob"):
            cast.add_user(name, is_owner=(name == "admin"))
        cast.add_template("ai-tasks", display_name="AI Tasks", icon="/icon/tasks.svg", has_ai_task=True)
        cast.add_template("plain", display_name="Plain Workspace", icon="/icon/code.svg", has_ai_task=False)
        randomness.mark()
        return cast

    def add_user(self, username: str, *, is_owner: bool = False) -> User:
        """A new user of the organization, with a session token (ValueError: the username is taken)."""
        if self.user_by_name(username) is not None:
            raise ValueError(f"a user named {username!r} exists")
        user = User(id=self.randomness.uuid(), username=username.lower(), is_owner=is_owner,
                    token=SessionToken.generate(self.randomness))
        self.users[user.username] = user
        return user

    def add_template(self, name: str, *, has_ai_task: bool, display_name: str = "", icon: str = "") -> Template:
        """A new template of the organization with one version (an AI task's with one preset and the AI prompt
        parameter); ValueError: the name is taken."""
        if name in self.templates:
            raise ValueError(f"a template named {name!r} exists")
        version_id = self.randomness.uuid()
        presets = (self.randomness.uuid(),) if has_ai_task else ()
        template = Template(id=self.randomness.uuid(), name=name, display_name=display_name or name,
                            icon=icon or "/icon/code.svg", organization_id=self.org.id,
                            version=TemplateVersion(id=version_id, has_ai_task=has_ai_task, preset_ids=presets,
                                                    parameters=(AI_PROMPT_PARAMETER,) if has_ai_task else ()))
        self.templates[name] = template
        return template

    def restart(self, users: Sequence[str], templates: Sequence[str]) -> None:
        """Keep only these users and templates, and draw random values again from the point marked after the
        cast was made."""
        for name in set(self.users) - set(users):
            del self.users[name]
        for name in set(self.templates) - set(templates):
            del self.templates[name]
        self.randomness.rewind()

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
