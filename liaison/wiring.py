"""What each domain contributes to another's pages and rules, listed in one place.

A later domain adds to an earlier one's registries (hazards put a panel on the project page, a
guard from projects stops an officer who still holds projects from being deactivated). These
registries used to fill themselves as a side effect of importing the contributing module, so a
command that imported `org.service` without `projects.service` silently lost the guard. Now
nothing registers itself: `wire()` fills every registry, and the app, the `liaison` command and
the tests each call it before doing anything else. The order of each list is the order its
sections appear on the page.
"""

from liaison import jobs
from liaison.attachments import service as attachments
from liaison.desk.models import RequestStatus
from liaison.desk.service import OWNER as REQUEST_OWNER
from liaison.desk.sla import Urgency
from liaison.disputes.models import DisputeStatus, Performance
from liaison.hazards import service as hazards_service
from liaison.hazards.models import HazardLevel, HazardStatus
from liaison.org import service as org_service
from liaison.pages import disputes, hazards, home, projects, recoveries, requests
from liaison.projects import service as projects_service
from liaison.projects import timeline
from liaison.web import templates

# The domain words templates compare against, so none spells a status out ('已销号') again.
TEMPLATE_ENUMS = (HazardLevel, HazardStatus, DisputeStatus, Performance, RequestStatus, Urgency)


def wire() -> None:
    """Fill every registry; calling it again changes nothing."""
    home.home_panels[:] = [requests.home_panel, hazards.home_panel]
    projects.project_panels[:] = [
        requests.project_panel,
        disputes.project_panel,
        hazards.project_panel,
        recoveries.project_panel,
    ]
    timeline.sources[:] = [
        timeline.assignment_entries,
        timeline.visit_entries,
        requests.timeline_entries,
        disputes.timeline_entries,
        hazards.timeline_entries,
        recoveries.timeline_entries,
    ]
    org_service.officer_guards[:] = [projects_service.holding_guard]
    attachments.owners.clear()
    attachments.owners.update(
        {
            REQUEST_OWNER: requests.attachment_owner,
            hazards_service.OWNER: hazards.attachment_owner,
            recoveries.OWNER: recoveries.attachment_owner,
        }
    )
    templates.env.globals.update({enum.__name__: enum for enum in TEMPLATE_ENUMS})
    jobs.listen()
