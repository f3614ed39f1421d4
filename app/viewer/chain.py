"""The stages the viewer runs each frame through, and the restorer in them: the single-frame
restoration (its restorer swapped in place when the user picks another model), the temporal
reference stage when it is on (it runs the restoration itself, on the frames that need it;
built fresh for every stretch: a seek must not borrow detail from frames before it; past
frames only for a live source), and the overlay's counter."""
from __future__ import annotations

from app.viewer.stats import CountProcessed, ViewerStats
from common.errors import describe_error
from engine.stages.restorer import RestorerSettings
from engine.stages import Stage
from engine.stages.restore import PassThrough, RestoreStage
from engine.stages.temporal import TemporalStage


class ViewerChain:
    def __init__(self, stats: ViewerStats, temporal: int | None = None):
        self.restore = RestoreStage(PassThrough("no model (loading)"))
        self.count = CountProcessed(stats)
        self.temporal = temporal   # the window, None: off

    def for_stretch(self, live: bool) -> list[Stage]:
        if self.temporal:   # the model runs inside it, on the frames that need it
            return [TemporalStage(self.temporal, past_only=live, base=self.restore), self.count]
        return [self.restore, self.count]

    @property
    def description(self) -> str:
        return self.restore.restorer.description

    def build(self, settings: RestorerSettings) -> str | None:
        """Build the restorer `settings` ask for and put it in place; on failure keep the one
        in use (or say why there is none) and return the error, one line."""
        try:
            self.restore.restorer = settings.build()
        except Exception as exc:
            error = describe_error(exc)
            if isinstance(self.restore.restorer, PassThrough):
                self.restore.restorer = PassThrough(f"no model ({error})")
            return error
        return None
