import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builder import kb as _kb
from trdnav.knowledge.loader import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return _kb()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
