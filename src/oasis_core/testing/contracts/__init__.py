"""Contract suites, one per port: subclass one as ``Test…`` and supply a ``provider`` fixture."""

from oasis_core.testing.contracts.blob_store import BlobStoreContract
from oasis_core.testing.contracts.compositor import CompositorContract
from oasis_core.testing.contracts.language_model import LanguageModelContract
from oasis_core.testing.contracts.publisher import PublisherContract
from oasis_core.testing.contracts.script_writer import ScriptWriterContract
from oasis_core.testing.contracts.speech_engine import SpeechEngineContract
from oasis_core.testing.contracts.visual_source import VisualSourceContract

__all__ = [
    "BlobStoreContract",
    "CompositorContract",
    "LanguageModelContract",
    "PublisherContract",
    "ScriptWriterContract",
    "SpeechEngineContract",
    "VisualSourceContract",
]
