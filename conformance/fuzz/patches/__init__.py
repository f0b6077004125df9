"""The only places the suite reaches into a library's internals, because the library offers no public hook for
what the fuzz tiers need: one module per patch. Each checks its target before patching and raises `LibraryChanged`
(naming the library, its installed version and the missing target) rather than running without it: a silent
fallback would change what a run guarantees. tests/fuzz/test_library_patches.py fails when a target moves."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


class LibraryChanged(RuntimeError):
    """A library no longer has what one of the suite's patches relies on."""

    def __init__(self, library: str, target: str, consequence: str) -> None:
        super().__init__(f"{library} {installed(library)} changed: {target} is gone or no longer has the shape the "
                         f"suite's patch relies on; {consequence}. Install a {library} release the suite supports "
                         "(see pyproject.toml)")
        self.library = library
        self.target = target


def installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:  # pragma: no cover - the suite depends on both libraries
        return "(version unknown)"
