from collections.abc import Iterator

import pytest
from tasks_client import TasksClient

PROFILES = ("legacy", "experimental", "stable")


def fake_coder(profile: str, **options: object) -> pytest.MarkDecorator:
    """A fake Coder of `profile` (its default release) that starts tasks and answers inputs in a few milliseconds."""
    return pytest.mark.coder_tasks_server(profile=profile, seed=1, startup=0.02, reply_delay=0.02, **options)


def every_profile(**options: object) -> list[object]:
    return [pytest.param(p, marks=fake_coder(p, **options), id=p) for p in PROFILES]


@pytest.fixture
def client(coder_tasks_server) -> Iterator[TasksClient]:
    """The client as the fake Coder's first member, speaking the server's generation."""
    server = coder_tasks_server
    client = TasksClient(server.url, server.users.member.token, api_prefix=server.api_prefix,
                         legacy=server.generation.legacy)
    yield client
    client.close()
