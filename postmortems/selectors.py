from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from incidents.models import Incident
from postmortems.models import Postmortem, Revision


def postmortem_for_reference(reference: str, *, for_update: bool = False) -> Postmortem:
    number = Incident.number_from_reference(reference) or -1
    postmortems = Postmortem.objects.with_page_relations()
    if for_update:
        postmortems = postmortems.select_for_update(of=("self",))
    return get_object_or_404(postmortems, incident__number=number)


def postmortem_list(*, filters: dict) -> QuerySet[Postmortem]:
    postmortems = Postmortem.objects.select_related("incident", "author").order_by("-updated_at")
    if query := filters.get("q"):
        postmortems = postmortems.filter(incident__title__icontains=query)
    if status := filters.get("status"):
        postmortems = postmortems.filter(status=status)
    return postmortems


def revision_list(postmortem: Postmortem) -> QuerySet[Revision]:
    return postmortem.revisions.select_related("author")
