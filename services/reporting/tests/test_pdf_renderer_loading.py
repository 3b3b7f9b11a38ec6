"""The PDF renderer (matplotlib, reportlab: seconds to import) is loaded once the service runs,
so the first annual report a coordinator prints does not wait for it.

In a fresh interpreter, because this test process may have imported the renderer already.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    from klachtstroom.platform.settings import PlatformSettings
    from klachtstroom.reporting.app import PDF_RENDERER, create_service

    async def main() -> None:
        service, _app = create_service(
            PlatformSettings(data_dir=sys.argv[1], test_clock=True, kafka_bootstrap="127.0.0.1:9")
        )
        assert PDF_RENDERER not in sys.modules, "imported at start-up, before the service runs"
        await service.start()
        try:
            deadline = time.monotonic() + 60
            while PDF_RENDERER not in sys.modules and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            print("loaded" if PDF_RENDERER in sys.modules else "not loaded")
        finally:
            await service.stop()

    asyncio.run(main())
    """
)


def test_the_pdf_renderer_is_loaded_in_the_background_after_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded"
