"""The review viewer: a local web app over the runs of a journal root, with review actions given by its caller."""

from interns.journal.viewer.actions import ActionRefused, ReviewActions
from interns.journal.viewer.scan import RunScan
from interns.journal.viewer.server import ViewerServer, is_loopback
from interns.journal.viewer.views import RunViews

__all__ = ["ActionRefused", "ReviewActions", "RunScan", "RunViews", "ViewerServer", "is_loopback"]
